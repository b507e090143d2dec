//! Lesson 04: mutexes and race conditions (being written).
