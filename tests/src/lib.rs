//! Test harness: the real server on a random port.
