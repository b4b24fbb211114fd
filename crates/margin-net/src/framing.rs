//! Frames on a `/margin/sync/1` stream: a 4-byte big-endian length, then that many bytes
//! holding one sync message. A length over the limit is refused before anything is read
//! or allocated for it.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The peer announced a frame larger than the limit: misbehaviour.
    #[error("the peer announced a {len}-byte frame, over the {max}-byte limit")]
    Oversize { len: usize, max: usize },
    /// The stream ended or failed: not the peer's fault as far as we can tell.
    #[error(transparent)]
    Io(#[from] io::Error),
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
}
