//! The byte source under the XML reader: its own fixed buffer, position and
//! line counting, a peek at the first bytes, and a cap on how much one XML
//! event may consume.
//!
//! The cap is what keeps memory bounded on hostile input: quick-xml buffers a
//! whole tag (an MMS part carries its attachment base64-encoded in an
//! attribute), so without it a file that opens `<` and never closes it would
//! be read entirely into memory.

use std::io::{self, BufRead, Read};

/// Size of the read buffer; also the most the sniffing step looks at.
const BUFFER_SIZE: usize = 64 * 1024;

pub(crate) struct Tracked<R> {
    inner: R,
    buffer: Box<[u8]>,
    /// Start of unconsumed bytes in `buffer`.
    pos: usize,
    /// End of valid bytes in `buffer`.
    filled: usize,
    /// Bytes consumed since the start of the input.
    consumed: u64,
    /// 1-based line of the next unconsumed byte.
    line: u64,
    /// `consumed` when the current event began.
    event_start: u64,
    /// Most bytes one event may consume.
    event_limit: u64,
    over_limit: bool,
    at_eof: bool,
}

impl<R: Read> Tracked<R> {
    pub(crate) fn new(inner: R, event_limit: u64) -> Self {
        Self {
            inner,
            buffer: vec![0; BUFFER_SIZE].into_boxed_slice(),
            pos: 0,
            filled: 0,
            consumed: 0,
            line: 1,
            event_start: 0,
            event_limit,
            over_limit: false,
            at_eof: false,
        }
    }

    /// Reads until at least `want` bytes (at most the buffer size) are
    /// buffered or the input ends, and returns the buffered bytes without
    /// consuming them. Only meant for the start, before anything is consumed.
    pub(crate) fn peek(&mut self, want: usize) -> io::Result<&[u8]> {
        let want = want.min(self.buffer.len());
        while self.filled - self.pos < want && !self.at_eof {
            if self.pos > 0 {
                self.buffer.copy_within(self.pos..self.filled, 0);
                self.filled -= self.pos;
                self.pos = 0;
            }
            let free = self.buffer.get_mut(self.filled..).unwrap_or_default();
            match self.inner.read(free) {
                Ok(0) => self.at_eof = true,
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.buffer.get(self.pos..self.filled).unwrap_or_default())
    }

    /// Marks the start of the next XML event, for the per-event cap.
    pub(crate) fn start_event(&mut self, limit: u64) {
        self.event_start = self.consumed;
        self.event_limit = limit;
    }

    pub(crate) fn byte_offset(&self) -> u64 {
        self.consumed
    }

    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// Whether the last read failed because one event grew past the cap.
    pub(crate) fn over_limit(&self) -> bool {
        self.over_limit
    }

    /// Whether the input has ended.
    pub(crate) fn at_eof(&self) -> bool {
        self.at_eof && self.pos >= self.filled
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), available.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Tracked<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.consumed.saturating_sub(self.event_start) > self.event_limit {
            self.over_limit = true;
            return Err(io::Error::other(
                "one XML element is larger than the size limit",
            ));
        }
        if self.pos >= self.filled && !self.at_eof {
            self.pos = 0;
            self.filled = 0;
            loop {
                match self.inner.read(&mut self.buffer) {
                    Ok(0) => {
                        self.at_eof = true;
                        break;
                    }
                    Ok(n) => {
                        self.filled = n;
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(self.buffer.get(self.pos..self.filled).unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        let end = self.pos.saturating_add(amt).min(self.filled);
        let taken = self.buffer.get(self.pos..end).unwrap_or_default();
        let newlines = taken.iter().filter(|&&b| b == b'\n').count();
        self.line += newlines as u64;
        self.consumed += (end - self.pos) as u64;
        self.pos = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_bytes_and_lines_and_serves_peeked_bytes_first() {
        let mut t = Tracked::new(&b"ab\ncd\n\nef"[..], u64::MAX);
        assert_eq!(t.peek(4).unwrap(), b"ab\ncd\n\nef");
        let mut out = String::new();
        t.read_to_string(&mut out).unwrap();
        assert_eq!(out, "ab\ncd\n\nef");
        assert_eq!(t.byte_offset(), 9);
        assert_eq!(t.line(), 4);
        assert!(t.at_eof());
    }

    #[test]
    fn refuses_to_grow_one_event_past_the_limit() {
        let data = vec![b'x'; 3 * BUFFER_SIZE];
        let mut t = Tracked::new(&data[..], 10);
        t.start_event(10);
        let mut sink = Vec::new();
        let err = t.read_to_end(&mut sink).unwrap_err();
        assert!(t.over_limit(), "{err}");
        assert!(sink.len() <= BUFFER_SIZE + 10);
    }
}
