//! Lesson 02: WaitGroup (being written).
