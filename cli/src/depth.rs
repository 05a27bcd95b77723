//! `kinthread depth ...`: offline scoring.
