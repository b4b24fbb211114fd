//! One HTTP exchange with a node as it happened on the wire: any status is an answer,
//! redirects are not followed, and the body is kept as the bytes that travelled
//! (compressed when the request accepted it).

use std::time::Duration;

/// What came back.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub bytes: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (an answer that was not asked compressed).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// `method` `path` on `addr` (`host:port`) with `headers` and `body`.
pub fn send(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Answer {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(body).expect("a well-formed request");
    let mut reply = agent
        .run(request)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    Answer {
        status: reply.status().as_u16(),
        headers: reply
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect(),
        bytes: reply
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .unwrap_or_else(|e| panic!("{method} {path}: the body: {e}")),
    }
}

/// `GET path` on the HTTP address of a running node, with `headers`.
pub fn get_from(
    node: &super::running::RunningNode,
    path: &str,
    headers: &[(&str, &str)],
) -> Answer {
    let http = node
        .info()
        .and_then(|i| i["http"].as_str().map(str::to_owned))
        .expect("the node's HTTP address");
    send(&http, "GET", path, headers, vec![])
}
