//! Files kept by the service, handed back as downloads (a notice's attachments), the same for
//! the API and the pages.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A kept file as a download: its name percent-encoded (RFC 6266) so Chinese names survive, and
/// never sniffed into something the browser would run.
pub fn file_response(name: &str, kind: &str, bytes: Vec<u8>) -> Response {
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    (
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"file\"; filename*=UTF-8''{encoded}"),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response()
}
