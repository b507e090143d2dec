//! Lesson 05: context: cancellation and timeouts (being written).
