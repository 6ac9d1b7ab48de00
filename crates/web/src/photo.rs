//! Photos of a report or of the handler's feedback. A photo is accepted by its content
//! (JPEG, PNG or WebP, whatever its name says), within a size limit, and stored
//! re-encoded: the image is decoded, turned upright by its EXIF orientation, scaled to
//! at most 1920 px and written as a fresh JPEG, so no metadata (GPS position, camera,
//! time) survives. A 320 px thumbnail is made alongside. Decoding is CPU work and runs
//! off the async threads.

use linli_domain::FieldError;
use linli_store::photos::NewPhoto;
use std::io::Cursor;

/// At most this many photos per report or step.
pub const MAX_PHOTOS: usize = 6;
/// At most this many bytes per photo as uploaded.
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
/// The body limit of a form that carries photos.
pub const UPLOAD_LIMIT: usize = MAX_PHOTOS * MAX_PHOTO_BYTES + 1024 * 1024;

/// The largest picture decoded: 50 megapixels (a phone's full-resolution photo), at most
/// 10,000 px on a side. Its RGBA buffer is 200 MB.
pub const MAX_PIXELS: u64 = 50_000_000;
const MAX_SIDE: u32 = 10_000;
/// What a decoder may allocate for one picture.
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
/// Pictures decoded at once, across all requests: the memory a burst of uploads can take
/// is this many times [`MAX_DECODE_BYTES`]; the rest wait their turn.
const DECODES_AT_ONCE: usize = 2;
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(DECODES_AT_ONCE);

const LONG_SIDE: u32 = 1920;
const THUMB_SIDE: u32 = 320;

/// Checks and re-encodes one photo; a bad one is refused naming `field`.
pub fn process(field: &'static str, bytes: &[u8]) -> Result<NewPhoto, FieldError> {
    use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, metadata::Orientation};
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(FieldError::new(field, "error.photo.size"));
    }
    let format = image::guess_format(bytes).map_err(|_| FieldError::new(field, "error.photo.type"))?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) {
        return Err(FieldError::new(field, "error.photo.type"));
    }
    let unreadable = |_| FieldError::new(field, "error.photo.unreadable");
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    // A small file can declare a huge picture (a decompression bomb): refuse it by the
    // dimensions in its header, before a single pixel is decoded.
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS || width > MAX_SIDE || height > MAX_SIDE {
        return Err(FieldError::new(field, "error.photo.dimensions"));
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    img.apply_orientation(orientation);
    if img.width() > LONG_SIDE || img.height() > LONG_SIDE {
        img = img.resize(LONG_SIDE, LONG_SIDE, image::imageops::FilterType::Triangle);
    }
    let thumb = img.thumbnail(THUMB_SIDE, THUMB_SIDE);
    Ok(NewPhoto { bytes: jpeg(&img, 85).map_err(unreadable)?, thumbnail: jpeg(&thumb, 75).map_err(unreadable)? })
}

fn jpeg(img: &image::DynamicImage, quality: u8) -> image::ImageResult<Vec<u8>> {
    let mut out = Vec::new();
    // JPEG has no alpha: transparent parts go on white, not black.
    let rgba = img.to_rgba8();
    let rgb = image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u16::from(p[3]);
        let over_white = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
        image::Rgb([over_white(p[0]), over_white(p[1]), over_white(p[2])])
    });
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(&rgb)?;
    Ok(out)
}

/// Which size of a stored photo a page asks for: `?size=thumb` for the thumbnail.
#[derive(serde::Deserialize)]
pub struct PhotoQuery {
    pub size: Option<String>,
}

impl PhotoQuery {
    pub fn thumbnail(&self) -> bool {
        self.size.as_deref() == Some("thumb")
    }
}

/// A stored photo as a page serves it: JPEG, cached privately (it is never public).
pub fn jpeg_response(bytes: Vec<u8>) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    ([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "private, max-age=86400")], bytes).into_response()
}

/// Processes every photo of a submission off the async threads; the first bad one
/// refuses them all (nothing is stored).
pub async fn process_all(field: &'static str, files: Vec<Vec<u8>>) -> Result<Vec<NewPhoto>, FieldError> {
    if files.len() > MAX_PHOTOS {
        return Err(FieldError::new(field, "error.photo.count"));
    }
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let mut photos = Vec::with_capacity(files.len());
    for file in files {
        let Ok(_permit) = DECODES.acquire().await else { return Err(FieldError::new(field, "error.photo.unreadable")) };
        let photo = tokio::task::spawn_blocking(move || process(field, &file))
            .await
            .unwrap_or_else(|_| Err(FieldError::new(field, "error.photo.unreadable")))?;
        photos.push(photo);
    }
    Ok(photos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(w, h, image::Rgba([200, 30, 30, 0]));
        let mut out = Cursor::new(Vec::new());
        image::DynamicImage::ImageRgba8(img).write_to(&mut out, image::ImageFormat::Png).unwrap_or_default();
        out.into_inner()
    }

    #[test]
    fn a_large_photo_is_scaled_and_has_a_thumbnail_and_transparency_turns_white() {
        let photo = process("photos", &png(4000, 1000)).expect("a PNG is a photo");
        let big = image::load_from_memory(&photo.bytes).expect("stored as an image");
        assert_eq!((big.width(), big.height()), (1920, 480));
        assert_eq!(image::guess_format(&photo.bytes).ok(), Some(image::ImageFormat::Jpeg));
        let thumb = image::load_from_memory(&photo.thumbnail).expect("thumbnail");
        assert_eq!(thumb.width(), 320);
        let px = big.to_rgb8().get_pixel(10, 10).0;
        assert!(px.iter().all(|c| *c > 240), "a transparent pixel is white, got {px:?}");
    }

    #[test]
    fn only_real_images_within_the_limit_pass() {
        assert_eq!(process("photos", b"GIF89a not a photo").unwrap_err().key, "error.photo.type");
        assert_eq!(process("photos", b"\x89PNG\r\n\x1a\n broken").unwrap_err().key, "error.photo.unreadable");
        let huge = vec![0xFF; MAX_PHOTO_BYTES + 1];
        assert_eq!(process("photos", &huge).unwrap_err().key, "error.photo.size");
    }

    /// A PNG whose header declares `w` × `h` pixels and whose data is a few bytes: what a
    /// decompression bomb looks like before it is decoded.
    fn declared_png(w: u32, h: u32) -> Vec<u8> {
        fn crc32(data: &[u8]) -> u32 {
            let mut c = 0xFFFF_FFFFu32;
            for &b in data {
                c ^= u32::from(b);
                for _ in 0..8 {
                    c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                }
            }
            !c
        }
        let chunk = |kind: &[u8], data: &[u8]| {
            let mut out = (data.len() as u32).to_be_bytes().to_vec();
            let body = [kind, data].concat();
            out.extend(&body);
            out.extend(crc32(&body).to_be_bytes());
            out
        };
        let mut ihdr = w.to_be_bytes().to_vec();
        ihdr.extend(h.to_be_bytes());
        ihdr.extend([8, 6, 0, 0, 0]);
        [
            b"\x89PNG\r\n\x1a\n".to_vec(),
            chunk(b"IHDR", &ihdr),
            chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0, 0, 0, 0, 1]),
            chunk(b"IEND", &[]),
        ]
        .concat()
    }

    #[test]
    fn a_decompression_bomb_is_refused_by_its_header_before_decoding() {
        for (w, h) in [(12_000, 12_000), (9_000, 8_000), (60_000, 10)] {
            let bomb = declared_png(w, h);
            assert!(bomb.len() < 100);
            // Refused by the header: the data would not even decode (see below).
            assert_eq!(process("photos", &bomb).unwrap_err().key, "error.photo.dimensions", "{w}×{h}");
        }
        // A header within the limits goes on to decoding (and this one's data is broken).
        assert_eq!(process("photos", &declared_png(4_000, 3_000)).unwrap_err().key, "error.photo.unreadable");
    }
}
