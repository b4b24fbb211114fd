//! Frames on a `/margin/sync/3` stream: a 4-byte big-endian length, then that many bytes
//! holding one sync message, compressed. A length over the limit is refused before
//! anything is read or allocated for it.
//!
//! Each direction of a stream is one zstd stream: the writer compresses every frame with
//! the same context and flushes it, so the reader can decode each frame as soon as it
//! arrives, and what frames share (a space's id, the authors, the refs, the words of a
//! review) is found across frames, not only within one. A new stream starts new
//! contexts on both sides.

use std::io::{self, Write};

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// zstd's level for sync streams: most of the gain on review text, at little CPU.
const LEVEL: i32 = 3;
/// The window (a power of two) a compressor uses and a decompressor accepts: 256 KiB
/// finds nearly all that a space's entries share, at about a megabyte per stream.
const WINDOW_LOG: u32 = 18;

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The peer announced a frame larger than the limit: misbehaviour.
    #[error("the peer announced a {len}-byte frame, over the {max}-byte limit")]
    Oversize { len: usize, max: usize },
    /// The stream ended or failed: not the peer's fault as far as we can tell.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The frame is not valid zstd for this stream: misbehaviour.
    #[error("the peer sent a frame that does not decompress: {0}")]
    Compression(String),
}

/// The compressing side of one direction of a stream.
pub struct FrameCompressor {
    encoder: zstd::stream::write::Encoder<'static, Vec<u8>>,
}

impl FrameCompressor {
    pub fn new() -> io::Result<FrameCompressor> {
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), LEVEL)?;
        encoder.window_log(WINDOW_LOG)?;
        Ok(FrameCompressor { encoder })
    }

    /// The compressed bytes of one frame, flushed so that they decode on their own
    /// (given the frames before them).
    pub fn compress(&mut self, frame: &[u8]) -> io::Result<Vec<u8>> {
        self.encoder.write_all(frame)?;
        self.encoder.flush()?;
        Ok(std::mem::take(self.encoder.get_mut()))
    }
}

/// The decompressing side of one direction of a stream.
pub struct FrameDecompressor {
    decoder: zstd::stream::write::Decoder<'static, Bounded>,
}

/// A buffer that refuses to grow past a limit.
struct Bounded {
    bytes: Vec<u8>,
    max: usize,
    /// Whether a write went past the limit.
    over: bool,
}

impl Write for Bounded {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.bytes.len() + data.len() > self.max {
            self.over = true;
            return Err(io::Error::other(format!(
                "the frame decompresses to more than {} bytes",
                self.max
            )));
        }
        self.bytes.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl FrameDecompressor {
    /// A decompressor whose frames may hold at most `max` bytes.
    pub fn new(max: usize) -> io::Result<FrameDecompressor> {
        let mut decoder = zstd::stream::write::Decoder::new(Bounded {
            bytes: Vec::new(),
            max,
            over: false,
        })?;
        decoder.window_log_max(WINDOW_LOG)?;
        Ok(FrameDecompressor { decoder })
    }

    /// The frame whose compressed bytes are `chunk`. A frame that decompresses past
    /// the limit is [`FrameError::Oversize`], as one announced over it is.
    pub fn decompress(&mut self, chunk: &[u8]) -> Result<Vec<u8>, FrameError> {
        let written = self
            .decoder
            .write_all(chunk)
            .and_then(|()| self.decoder.flush());
        let out = self.decoder.get_mut();
        if out.over {
            return Err(FrameError::Oversize {
                len: out.max + 1,
                max: out.max,
            });
        }
        written.map_err(|e| FrameError::Compression(e.to_string()))?;
        Ok(std::mem::take(&mut out.bytes))
    }
}

/// Reads one frame of at most `max` bytes; `Ok(None)` when the stream ended cleanly.
pub async fn read_frame<T: AsyncRead + Unpin>(
    io: &mut T,
    max: usize,
) -> Result<Option<Vec<u8>>, FrameError> {
    let mut len = [0u8; 4];
    match io.read_exact(&mut len).await {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(FrameError::Oversize { len, max });
    }
    let mut frame = vec![0u8; len];
    io.read_exact(&mut frame).await?;
    Ok(Some(frame))
}

/// Writes one frame.
pub async fn write_frame<T: AsyncWrite + Unpin>(io: &mut T, frame: &[u8]) -> io::Result<()> {
    let len = u32::try_from(frame.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too large to send"))?;
    io.write_all(&len.to_be_bytes()).await?;
    io.write_all(frame).await?;
    io.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_oversize_is_refused_unread() {
        futures::executor::block_on(async {
            let mut wire = Vec::new();
            write_frame(&mut wire, b"hello").await.expect("writes");
            write_frame(&mut wire, b"").await.expect("writes");
            let mut reader = futures::io::Cursor::new(wire);
            assert_eq!(
                read_frame(&mut reader, 16).await.expect("reads"),
                Some(b"hello".to_vec())
            );
            assert_eq!(
                read_frame(&mut reader, 16).await.expect("reads"),
                Some(vec![])
            );
            assert_eq!(read_frame(&mut reader, 16).await.expect("reads"), None);

            let mut huge = u32::MAX.to_be_bytes().to_vec();
            huge.extend([0; 8]);
            let mut reader = futures::io::Cursor::new(huge);
            assert!(matches!(
                read_frame(&mut reader, 16).await,
                Err(FrameError::Oversize { len, max: 16 }) if len == u32::MAX as usize
            ));
        });
    }

    #[test]
    fn compressed_frames_decode_one_by_one_and_share_a_context() {
        let mut writer = FrameCompressor::new().expect("a compressor");
        let mut reader = FrameDecompressor::new(1 << 20).expect("a decompressor");
        let text = b"the comment period closes on the last day of June; ".repeat(40);
        let first = writer.compress(&text).expect("compresses");
        let second = writer.compress(&text).expect("compresses");
        assert!(first.len() < text.len() / 4);
        assert!(
            second.len() < first.len(),
            "the second frame refers to the first"
        );
        assert_eq!(reader.decompress(&first).expect("decodes"), text);
        assert_eq!(reader.decompress(&second).expect("decodes"), text);
        let empty = writer.compress(b"").expect("compresses");
        assert_eq!(reader.decompress(&empty).expect("decodes"), b"");
    }

    #[test]
    fn a_compression_bomb_and_garbage_are_refused() {
        let mut writer = FrameCompressor::new().expect("a compressor");
        let bomb = writer.compress(&vec![0u8; 1 << 20]).expect("compresses");
        assert!(bomb.len() < 1024);
        let mut reader = FrameDecompressor::new(1 << 16).expect("a decompressor");
        assert!(matches!(
            reader.decompress(&bomb),
            Err(FrameError::Oversize { max: 65_536, .. })
        ));
        let mut reader = FrameDecompressor::new(1 << 16).expect("a decompressor");
        assert!(matches!(
            reader.decompress(b"not zstd at all"),
            Err(FrameError::Compression(_))
        ));
    }
}
