//! Lesson 06: worker pools (being written).
