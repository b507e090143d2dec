//! Lesson 03: channels (being written).
