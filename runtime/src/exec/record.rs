//! Fatal records: a fatal error (the watchdog, a stack overflow) as lines of `key value` for
//! a supervising process, written with write(2) only.
//!
//! Everything here is async-signal-safe (no allocation, no locks), so the stack-overflow
//! handler can use it. The format is described at
//! [`sim::Config::with_fatal_record`](crate::sim::Config::with_fatal_record).

use std::os::fd::RawFd;
use std::panic::Location;

/// The format's version, on the first line.
const VERSION: &str = "gort-fatal 1\n";

/// A record being written to one file descriptor.
#[derive(Debug)]
pub(crate) struct Record {
    fd: RawFd,
}

impl Record {
    /// Starts a record of `kind` (`watchdog` or `stack-overflow`).
    pub(crate) fn begin(fd: RawFd, kind: &str) -> Record {
        let record = Record { fd };
        write_all(fd, VERSION.as_bytes());
        record.field("kind", kind.as_bytes());
        record
    }

    /// A `key value` line; newlines and carriage returns in `value` become spaces.
    pub(crate) fn field(&self, key: &str, value: &[u8]) {
        write_all(self.fd, key.as_bytes());
        write_all(self.fd, b" ");
        let mut buf = [0u8; 128];
        for chunk in value.chunks(buf.len()) {
            let out = &mut buf[..chunk.len()];
            for (o, &b) in out.iter_mut().zip(chunk) {
                *o = if b == b'\n' || b == b'\r' { b' ' } else { b };
            }
            write_all(self.fd, out);
        }
        write_all(self.fd, b"\n");
    }

    /// A `key n` line, `n` in decimal.
    pub(crate) fn number(&self, key: &str, n: u64) {
        let mut digits = [0u8; 20];
        self.field(key, decimal(n, &mut digits));
    }

    /// A `key file:line:col` line.
    pub(crate) fn location(&self, key: &str, at: &Location<'_>) {
        let mut digits = [0u8; 20];
        write_all(self.fd, key.as_bytes());
        write_all(self.fd, b" ");
        for b in at.file().bytes() {
            write_all(self.fd, &[if b == b'\n' || b == b'\r' { b' ' } else { b }]);
        }
        write_all(self.fd, b":");
        write_all(self.fd, decimal(u64::from(at.line()), &mut digits));
        write_all(self.fd, b":");
        write_all(self.fd, decimal(u64::from(at.column()), &mut digits));
        write_all(self.fd, b"\n");
    }

    /// Ends the record.
    pub(crate) fn end(self) {
        write_all(self.fd, b"end\n");
    }
}

/// Writes all of `bytes` to `fd` with write(2), retrying short writes; gives up on an error.
pub(crate) fn write_all(fd: RawFd, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: writing a valid buffer to a file descriptor; write(2) is async-signal-safe
        // and harmless on a descriptor that is closed or not ours to write (it fails).
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

/// Formats `n` in decimal into `buf` without allocating.
pub(crate) fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::fd::AsRawFd;

    #[test]
    fn decimal_formats_without_allocating() {
        let mut buf = [0u8; 20];
        assert_eq!(decimal(0, &mut buf), b"0");
        assert_eq!(decimal(262_144, &mut buf), b"262144");
        assert_eq!(decimal(u64::MAX, &mut buf), b"18446744073709551615");
    }

    #[test]
    fn a_record_is_key_value_lines_without_newlines_in_values() {
        let path = std::env::temp_dir().join(format!("gort-record-{}", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        let record = Record::begin(file.as_raw_fd(), "watchdog");
        record.number("thread", 2);
        record.field("name", b"two\nlines\r");
        record.location("at", Location::caller());
        record.end();
        drop(file);
        let mut text = String::new();
        std::fs::File::open(&path).unwrap().read_to_string(&mut text).unwrap();
        std::fs::remove_file(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[..4], ["gort-fatal 1", "kind watchdog", "thread 2", "name two lines "]);
        assert!(lines[4].starts_with("at runtime/src/exec/record.rs:"), "{}", lines[4]);
        assert_eq!(lines[5], "end");
        assert_eq!(lines.len(), 6);
    }
}
