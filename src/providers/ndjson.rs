//! Incremental newline-delimited JSON splitter for Ollama's `application/x-ndjson` streams:
//! network chunks in, complete lines out. Lines end at LF (a trailing CR is dropped); blank
//! lines are skipped; a line is handed out as bytes only once complete, so a UTF-8 character
//! split across chunks is never cut.

#[derive(Debug, Default)]
pub struct NdjsonDecoder {
    partial: Vec<u8>,
}

impl NdjsonDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed one chunk; call `on_line` for each complete, non-blank line (without its end).
    pub fn feed<E>(
        &mut self,
        mut chunk: &[u8],
        on_line: &mut impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        while let Some(pos) = memchr::memchr(b'\n', chunk) {
            if self.partial.is_empty() {
                emit(&chunk[..pos], on_line)?;
            } else {
                self.partial.extend_from_slice(&chunk[..pos]);
                let line = std::mem::take(&mut self.partial);
                emit(&line, on_line)?;
            }
            chunk = &chunk[pos + 1..];
        }
        self.partial.extend_from_slice(chunk);
        Ok(())
    }

    /// End of stream: a last line without LF is still a line.
    pub fn finish<E>(&mut self, on_line: &mut impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        let line = std::mem::take(&mut self.partial);
        emit(&line, on_line)
    }
}

fn emit<E>(line: &[u8], on_line: &mut impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    on_line(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(chunks: &[&[u8]]) -> Vec<String> {
        let mut d = NdjsonDecoder::new();
        let mut out = Vec::new();
        let mut push = |l: &[u8]| -> Result<(), ()> {
            out.push(String::from_utf8(l.to_vec()).map_err(|_| ())?);
            Ok(())
        };
        for c in chunks {
            d.feed(c, &mut push).unwrap();
        }
        d.finish(&mut push).unwrap();
        out
    }

    #[test]
    fn table_all_splits() {
        let cases: Vec<(&str, &[u8], Vec<&str>)> = vec![
            (
                "lf",
                b"{\"a\":1}\n{\"b\":2}\n",
                vec!["{\"a\":1}", "{\"b\":2}"],
            ),
            (
                "crlf",
                b"{\"a\":1}\r\n{\"b\":2}\r\n",
                vec!["{\"a\":1}", "{\"b\":2}"],
            ),
            ("blank lines", b"\n{\"a\":1}\n\n  \n", vec!["{\"a\":1}"]),
            (
                "no final newline",
                b"{\"a\":1}\n{\"b\":2}",
                vec!["{\"a\":1}", "{\"b\":2}"],
            ),
            (
                "utf-8 multibyte",
                "{\"c\":\"é👋\"}\n".as_bytes(),
                vec!["{\"c\":\"é👋\"}"],
            ),
        ];
        for (name, input, want) in cases {
            for i in 0..=input.len() {
                let (a, b) = input.split_at(i);
                assert_eq!(lines(&[a, b]), want, "{name} split at {i}");
            }
        }
    }
}
