//! In-process tests of the client against loopback servers: raw `TcpListener`s that
//! write bytes for misbehaviour, and hyper servers for HTTP/2 and TLS.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::*;
use crate::transport::request::{DefaultSlots, IpVersion, RequestOptions};

fn spec(method: &str, url: &str) -> RequestSpec {
    RequestSpec {
        method: method.to_owned(),
        url: url::Url::parse(url).unwrap(),
        headers: Vec::new(),
        body: Bytes::new(),
        default_slots: DefaultSlots::default(),
        options: RequestOptions { max_time: Duration::from_secs(10), ..RequestOptions::default() },
    }
}

fn client() -> Client {
    Client::new(ClientSettings::default()).unwrap()
}

async fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Reads one request head (up to CRLFCRLF); `None` at EOF.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
        assert!(head.len() < 64 * 1024, "request head too large");
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

fn content_length(head: &str) -> usize {
    head.lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case("content-length").then(|| v.trim().parse().unwrap())
        })
        .unwrap_or(0)
}

/// A keep-alive server: answers every request on every connection with `response`;
/// returns the request heads it saw, once the test drops the client.
fn keep_alive_server(
    listener: TcpListener,
    response: &'static [u8],
    connections: usize,
) -> JoinHandle<Vec<String>> {
    tokio::spawn(async move {
        let mut heads = Vec::new();
        for _ in 0..connections {
            let Ok((mut stream, _)) = listener.accept().await else { break };
            while let Some(head) = read_head(&mut stream).await {
                let mut body = vec![0; content_length(&head)];
                stream.read_exact(&mut body).await.unwrap();
                heads.push(head);
                stream.write_all(response).await.unwrap();
            }
        }
        heads
    })
}

#[tokio::test]
async fn get_fresh_then_reused_with_facts() {
    let (listener, addr) = listener().await;
    let server = keep_alive_server(listener, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 1);
    let mut client = client();
    let url = format!("http://{addr}/a?b=c");

    let first = client.send(&spec("GET", &url)).await;
    let response = first.result.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(&response.body[..], b"ok");
    assert_eq!(response.version, HttpVersion::Http11);
    assert_eq!(response.remote_addr, Some(addr));
    let facts = first.facts;
    let conn = facts.connection.clone().unwrap();
    assert!(!conn.reused);
    assert_eq!(conn.reuse_count, 0);
    assert_eq!(conn.idle, None);
    assert_eq!(conn.remote_addr, addr);
    assert_eq!(facts.phase_reached, Phase::ReadBody);
    assert_eq!(facts.framing, Some(Framing::ContentLength));
    assert_eq!(facts.body_complete, Some(true));
    assert_eq!(facts.ended_with, End::Clean);
    assert!(facts.error.is_none());
    assert!(facts.returned_to_pool);
    assert!(facts.timings.connect.is_some());
    assert!(facts.timings.tls.is_none());
    #[cfg(feature = "ledger")]
    {
        assert!(facts.bytes_written > 0);
        assert_eq!(facts.bytes_total, Some(facts.bytes_written));
        assert_eq!(facts.bytes_read, 40);
    }
    assert_eq!(facts.body_bytes, 2);

    let second = client.send(&spec("GET", &url)).await;
    assert_eq!(second.result.unwrap().status, 200);
    let conn2 = second.facts.connection.unwrap();
    assert!(conn2.reused);
    assert_eq!(conn2.id, conn.id);
    assert_eq!(conn2.reuse_count, 1);
    assert!(conn2.idle.is_some());
    assert!(second.facts.timings.connect.is_none());
    assert!(second.facts.discarded.is_empty());

    drop(client);
    let heads = server.await.unwrap();
    assert_eq!(heads.len(), 2);
    let head = &heads[0];
    assert!(head.starts_with("GET /a?b=c HTTP/1.1\r\n"), "{head}");
    let expected_host = format!("Host: {addr}\r\n");
    assert!(head.contains(&expected_host), "{head}");
    assert!(head.contains("User-Agent: shakedown/"), "{head}");
    assert!(head.contains("Accept: */*\r\n"), "{head}");
    assert!(!head.to_ascii_lowercase().contains("content-length"), "{head}");
}

#[tokio::test]
async fn post_sends_content_length_and_user_headers_in_order() {
    let (listener, addr) = listener().await;
    let server =
        keep_alive_server(listener, b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 1);
    let mut client = client();
    let mut request = spec("POST", &format!("http://{addr}/items"));
    request.headers = vec![
        ("X-B".to_owned(), "2".to_owned()),
        ("Accept".to_owned(), "application/json".to_owned()),
    ];
    request.body = Bytes::from_static(b"{\"a\":1}");
    let exchange = client.send(&request).await;
    assert_eq!(exchange.result.unwrap().status, 201);
    assert_eq!(exchange.facts.body_complete, Some(true));
    drop(client);
    let heads = server.await.unwrap();
    let head = &heads[0];
    assert!(head.contains("Content-Length: 7\r\n"), "{head}");
    assert!(!head.contains("*/*"), "{head}");
    let b = head.find("X-B: 2").unwrap();
    let accept = head.find("Accept: application/json").unwrap();
    assert!(b < accept, "{head}");
}

#[tokio::test]
async fn chunked_framing_is_complete() {
    let (listener, addr) = listener().await;
    let server = keep_alive_server(
        listener,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        1,
    );
    let mut client = client();
    let exchange = client.send(&spec("GET", &format!("http://{addr}/"))).await;
    assert_eq!(&exchange.result.unwrap().body[..], b"hello world");
    assert_eq!(exchange.facts.framing, Some(Framing::Chunked));
    assert_eq!(exchange.facts.body_complete, Some(true));
    assert!(exchange.facts.returned_to_pool);
    drop(client);
    server.await.unwrap();
}

#[tokio::test]
async fn close_delimited_body_ending_in_fin_is_unprovable() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        read_head(&mut stream).await.unwrap();
        stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello").await.unwrap();
        stream.shutdown().await.unwrap();
        // Wait for the client to close, so that the close is a FIN, not an RST.
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest).await;
    });
    let mut client = client();
    let exchange = client.send(&spec("GET", &format!("http://{addr}/"))).await;
    assert_eq!(&exchange.result.unwrap().body[..], b"hello");
    let facts = exchange.facts;
    assert_eq!(facts.framing, Some(Framing::CloseDelimited));
    assert_eq!(facts.body_complete, None);
    assert_eq!(facts.ended_with, End::Fin);
    assert!(!facts.returned_to_pool);
    assert_eq!(facts.connection.unwrap().last_connection_header, None);
    drop(client);
    server.await.unwrap();
}

#[tokio::test]
async fn close_delimited_body_ending_in_rst_is_a_response_of_unknown_completeness() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        read_head(&mut stream).await.unwrap();
        stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhel").await.unwrap();
        stream.set_zero_linger().unwrap();
        drop(stream);
    });
    let mut client = client();
    let exchange = client.send(&spec("GET", &format!("http://{addr}/"))).await;
    server.await.unwrap();
    // The reset ends the body as a FIN would: the bytes received are the response.
    let response = exchange.result.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(&response.body[..], b"hel");
    let facts = exchange.facts;
    assert_eq!(facts.framing, Some(Framing::CloseDelimited));
    assert_eq!(facts.body_complete, None);
    assert_eq!(facts.ended_with, End::Rst);
    assert!(facts.error.is_none());
    assert!(!facts.complete_then_reset, "a close-delimited body is never complete by its framing");
    let socket_error = facts.socket_error.unwrap();
    assert_eq!(socket_error.operation, Operation::Read);
    assert_eq!(socket_error.os.unwrap().name, "ECONNRESET");
    assert_eq!(facts.body_bytes, 3);
    assert!(!facts.returned_to_pool);
}

#[tokio::test]
async fn connect_refused() {
    let (listener, addr) = listener().await;
    drop(listener);
    let mut client = client();
    let exchange = client.send(&spec("GET", &format!("http://{addr}/"))).await;
    let failure = exchange.result.unwrap_err();
    assert_eq!(failure.phase, Phase::Connect);
    assert_eq!(failure.kind, ErrorKind::Refused);
    assert_eq!(failure.os, Some(OsError { name: "ECONNREFUSED", errno: Some(111) }));
    assert_eq!(failure.operation, Operation::Connect);
    assert!(
        failure
            .to_string()
            .starts_with("connection refused (ECONNREFUSED, errno 111) while connecting"),
        "{failure}"
    );
    let facts = exchange.facts;
    assert_eq!(facts.phase_reached, Phase::Connect);
    assert!(facts.connection.is_none());
    assert_eq!(facts.ended_with, End::NoConnection);
    assert_eq!(facts.error.unwrap().kind, ErrorKind::Refused);
}

/// Waits, with a deadline, until a pooled connection has seen an idle EOF or error.
async fn until_idle_close_seen(client: &Client) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !client.pool.any_idle_close_seen() {
        assert!(tokio::time::Instant::now() < deadline, "the idle close was never seen");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test]
async fn idle_fin_is_recorded_and_the_next_request_uses_a_fresh_connection() {
    let (listener, addr) = listener().await;
    let (close_tx, close_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        read_head(&mut stream).await.unwrap();
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await.unwrap();
        // Close only once the client holds the connection idle in its pool.
        close_rx.await.unwrap();
        stream.shutdown().await.unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest).await;
        drop(stream);
        let (mut stream, _) = listener.accept().await.unwrap();
        read_head(&mut stream).await.unwrap();
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await.unwrap();
        let _ = stream.read_to_end(&mut rest).await;
    });
    let mut client = client();
    let url = format!("http://{addr}/");
    let first = client.send(&spec("GET", &url)).await;
    assert!(first.result.is_ok());
    assert!(first.facts.returned_to_pool);
    assert_eq!(first.facts.ended_with, End::Clean);
    let first_id = first.facts.connection.unwrap().id;
    close_tx.send(()).unwrap();
    until_idle_close_seen(&client).await;

    let second = client.send(&spec("GET", &url)).await;
    assert!(second.result.is_ok(), "{:?}", second.result);
    let conn = second.facts.connection.unwrap();
    assert!(!conn.reused);
    assert_ne!(conn.id, first_id);
    let discarded = &second.facts.discarded;
    assert_eq!(discarded.len(), 1);
    assert_eq!(discarded[0].id, first_id);
    assert_eq!(discarded[0].reason, "idle_eof");
    assert_eq!(discarded[0].os, None);
    assert!(discarded[0].closed_after_idle.is_some());
    let learned = client.learned_idle_limits();
    assert_eq!(learned.len(), 1);
    assert_eq!(learned[0].0, format!("http://{addr}"));
    assert_eq!(learned[0].2, crate::transport::SOURCE_OBSERVED_IDLE_CLOSE);
    assert!(learned[0].1 < discarded[0].closed_after_idle.unwrap() || learned[0].1.is_zero());
    drop(client);
    server.await.unwrap();
}

#[tokio::test]
async fn idle_rst_is_recorded_with_its_errno() {
    let (listener, addr) = listener().await;
    let (close_tx, close_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        read_head(&mut stream).await.unwrap();
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await.unwrap();
        close_rx.await.unwrap();
        stream.set_zero_linger().unwrap();
        drop(stream);
        let (mut stream, _) = listener.accept().await.unwrap();
        read_head(&mut stream).await.unwrap();
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await.unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest).await;
    });
    let mut client = client();
    let url = format!("http://{addr}/");
    assert!(client.send(&spec("GET", &url)).await.facts.returned_to_pool);
    close_tx.send(()).unwrap();
    until_idle_close_seen(&client).await;
    let second = client.send(&spec("GET", &url)).await;
    assert!(second.result.is_ok());
    let discarded = &second.facts.discarded;
    assert_eq!(discarded.len(), 1);
    assert_eq!(discarded[0].reason, "idle_error");
    assert_eq!(discarded[0].os, Some(OsError { name: "ECONNRESET", errno: Some(104) }));
    drop(client);
    server.await.unwrap();
}

/// A server that answers the first request, then waits until the client's second
/// request has arrived and closes: with the request unread (an RST), or after reading
/// it (a FIN). This is the keep-alive race made deterministic.
fn racing_server(listener: TcpListener, read_second: bool) -> JoinHandle<()> {
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        read_head(&mut stream).await.unwrap();
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await.unwrap();
        if read_second {
            read_head(&mut stream).await.unwrap();
            stream.shutdown().await.unwrap();
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest).await;
        } else {
            stream.readable().await.unwrap();
            let mut byte = [0u8; 1];
            assert_eq!(stream.peek(&mut byte).await.unwrap(), 1);
            // Closing with unread data sends an RST.
            drop(stream);
        }
    })
}

#[tokio::test]
async fn keep_alive_race_with_the_request_buffered_is_a_reset_on_a_reused_connection() {
    let (listener, addr) = listener().await;
    let server = racing_server(listener, false);
    let mut client = client();
    let url = format!("http://{addr}/");
    assert!(client.send(&spec("GET", &url)).await.facts.returned_to_pool);
    let exchange = client.send(&spec("GET", &url)).await;
    server.await.unwrap();
    let failure = exchange.result.unwrap_err();
    assert_eq!(failure.phase, Phase::AwaitResponse, "{failure}");
    assert_eq!(failure.kind, ErrorKind::ConnectionReset);
    assert_eq!(failure.os.and_then(|os| os.errno), Some(104));
    assert!(failure.to_string().contains("on a connection reused after"), "{failure}");
    let facts = exchange.facts;
    let conn = facts.connection.unwrap();
    assert!(conn.reused);
    assert_eq!(conn.reuse_count, 1);
    assert_eq!(facts.bytes_read, 0);
    #[cfg(feature = "ledger")]
    assert_eq!(facts.bytes_total, Some(facts.bytes_written));
    assert!(!facts.returned_to_pool);
}

#[tokio::test]
async fn keep_alive_race_with_a_fin_is_an_eof_on_a_reused_connection() {
    let (listener, addr) = listener().await;
    let server = racing_server(listener, true);
    let mut client = client();
    let url = format!("http://{addr}/");
    assert!(client.send(&spec("GET", &url)).await.facts.returned_to_pool);
    let exchange = client.send(&spec("GET", &url)).await;
    drop(client);
    server.await.unwrap();
    let failure = exchange.result.unwrap_err();
    assert_eq!(failure.phase, Phase::AwaitResponse, "{failure}");
    assert_eq!(failure.kind, ErrorKind::Eof);
    assert_eq!(failure.os, None);
    let facts = exchange.facts;
    assert!(facts.connection.unwrap().reused);
    assert_eq!(facts.ended_with, End::Fin);
    assert_eq!(facts.bytes_read, 0);
    #[cfg(feature = "ledger")]
    assert_eq!(facts.bytes_total, Some(facts.bytes_written));
}

#[tokio::test]
async fn fin_between_checkout_and_dispatch_replaces_the_connection_with_a_fresh_one() {
    let (listener, addr) = listener().await;
    let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        read_head(&mut stream).await.unwrap();
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await.unwrap();
        go_rx.await.unwrap();
        stream.shutdown().await.unwrap();
        closed_tx.send(()).unwrap();
        // The replacement connection.
        let (mut fresh, _) = listener.accept().await.unwrap();
        read_head(&mut fresh).await.unwrap();
        fresh.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await.unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest).await;
    });
    let mut client = client();
    let url = format!("http://{addr}/");
    let first = client.send(&spec("GET", &url)).await;
    assert!(first.result.is_ok());
    assert!(first.facts.returned_to_pool);
    go_tx.send(()).unwrap();
    closed_rx.await.unwrap();
    // Whether the pool saw the idle EOF first (checkout) or hyper gave the request back
    // (`closed_at_send`), the stale connection is replaced: never a failure.
    let second = client.send(&spec("GET", &url)).await;
    assert!(second.result.is_ok(), "{:?}", second.result);
    assert_eq!(second.facts.discarded.len(), 1, "{:?}", second.facts.discarded);
    assert!(
        matches!(second.facts.discarded[0].reason, "idle_eof" | "closed" | "closed_at_send"),
        "{:?}",
        second.facts.discarded
    );
    assert!(!second.facts.connection.as_ref().unwrap().reused);
    assert!(second.facts.error.is_none());
    drop(client);
    server.abort();
}

#[tokio::test]
async fn rst_before_the_response_is_await_response_econnreset() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        read_head(&mut stream).await.unwrap();
        stream.set_zero_linger().unwrap();
        drop(stream);
    });
    let mut client = client();
    let exchange = client.send(&spec("GET", &format!("http://{addr}/"))).await;
    server.await.unwrap();
    let failure = exchange.result.unwrap_err();
    assert_eq!(failure.phase, Phase::AwaitResponse, "{failure}");
    assert_eq!(failure.kind, ErrorKind::ConnectionReset);
    assert_eq!(failure.os, Some(OsError { name: "ECONNRESET", errno: Some(104) }));
    assert_eq!(failure.operation, Operation::Read);
    assert!(
        failure.to_string().starts_with(
            "connection reset by peer (ECONNRESET, errno 104) while waiting for the response on a fresh connection"
        ),
        "{failure}"
    );
    let facts = exchange.facts;
    assert_eq!(facts.ended_with, End::Rst);
    assert_eq!(facts.bytes_read, 0);
    #[cfg(feature = "ledger")]
    assert_eq!(facts.bytes_total, Some(facts.bytes_written));
    assert!(!facts.returned_to_pool);
}

#[tokio::test]
async fn reset_mid_body_is_read_body() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        read_head(&mut stream).await.unwrap();
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")
            .await
            .unwrap();
        stream.set_zero_linger().unwrap();
        drop(stream);
    });
    let mut client = client();
    let exchange = client.send(&spec("GET", &format!("http://{addr}/"))).await;
    server.await.unwrap();
    let failure = exchange.result.unwrap_err();
    assert_eq!(failure.phase, Phase::ReadBody, "{failure}");
    assert_eq!(failure.kind, ErrorKind::ConnectionReset);
    assert_eq!(failure.os.and_then(|os| os.errno), Some(104));
    assert_eq!(exchange.facts.framing, Some(Framing::ContentLength));
    assert_eq!(exchange.facts.body_complete, Some(false));
    assert!(exchange.facts.body_bytes <= 10);
}

#[tokio::test]
async fn complete_response_then_rst_is_a_success_flagged() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        read_head(&mut stream).await.unwrap();
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello").await.unwrap();
        stream.set_zero_linger().unwrap();
        drop(stream);
    });
    let mut client = client();
    // Let the server answer and reset before the client reads anything.
    let request = spec("GET", &format!("http://{addr}/"));
    let exchange = client.send(&request).await;
    server.await.unwrap();
    let response = exchange.result.unwrap();
    assert_eq!(&response.body[..], b"hello");
    assert_eq!(exchange.facts.body_complete, Some(true));
    // The reset sits behind the last body byte in the kernel buffer before the client
    // reads, so hyper's next read during the attempt sees it.
    assert!(exchange.facts.complete_then_reset);
    assert_eq!(exchange.facts.ended_with, End::Rst);
    assert!(!exchange.facts.returned_to_pool);
    assert!(exchange.facts.error.is_none());
}

#[tokio::test]
async fn early_413_with_a_large_unread_body_is_returned() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        read_head(&mut stream).await.unwrap();
        stream
            .write_all(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 8\r\nConnection: close\r\n\r\ntoo big!")
            .await
            .unwrap();
        // Closing with the body unread sends an RST.
        drop(stream);
    });
    let mut client = client();
    let mut request = spec("POST", &format!("http://{addr}/upload"));
    request.body = Bytes::from(vec![b'x'; 16 * 1024 * 1024]);
    let exchange = client.send(&request).await;
    server.await.unwrap();
    let response = exchange.result.unwrap();
    assert_eq!(response.status, 413);
    assert_eq!(&response.body[..], b"too big!");
    let facts = exchange.facts;
    assert!(!facts.returned_to_pool);
    if facts.early_response_after_write_error {
        let socket_error = facts.socket_error.unwrap();
        assert_eq!(socket_error.operation, Operation::Write);
        let os = socket_error.os.unwrap();
        assert!(matches!(os.name, "ECONNRESET" | "EPIPE"), "{os}");
        #[cfg(feature = "ledger")]
        assert!(facts.bytes_written < facts.bytes_total.unwrap());
    }
}

#[tokio::test]
async fn keep_alive_timeout_two_is_learned_as_one_and_a_half_seconds() {
    let (listener, addr) = listener().await;
    let server = keep_alive_server(
        listener,
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nKeep-Alive: timeout=2\r\n\r\n",
        1,
    );
    let mut client = client();
    let url = format!("http://{addr}/");
    let first = client.send(&spec("GET", &url)).await;
    assert!(first.result.is_ok());
    assert!(first.facts.returned_to_pool);
    assert_eq!(
        client.learned_idle_limits(),
        vec![(
            format!("http://{addr}"),
            Duration::from_millis(1500),
            crate::transport::SOURCE_KEEP_ALIVE_HEADER
        )]
    );
    let second = client.send(&spec("GET", &url)).await;
    let conn = second.facts.connection.unwrap();
    assert!(conn.reused);
    assert_eq!(conn.last_keep_alive_timeout, Some(Duration::from_secs(2)));
    drop(client);
    server.await.unwrap();
}

#[tokio::test]
async fn keep_alive_timeout_one_still_allows_reuse() {
    let (listener, addr) = listener().await;
    let server = keep_alive_server(
        listener,
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nKeep-Alive: timeout=1\r\n\r\n",
        2,
    );
    let mut client = client();
    let url = format!("http://{addr}/");
    let first = client.send(&spec("GET", &url)).await;
    assert!(first.result.is_ok());
    // The margin scales with the announced limit: 1 s leaves 750 ms of reuse, not zero.
    assert!(first.facts.returned_to_pool);
    assert_eq!(client.learned_idle_limits()[0].1, Duration::from_millis(750));
    drop(client);
    server.abort();
}

#[tokio::test]
async fn connection_close_is_not_reused() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        for _ in 0..2 {
            let (mut stream, _) = listener.accept().await.unwrap();
            read_head(&mut stream).await.unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                .await
                .unwrap();
            stream.shutdown().await.unwrap();
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest).await;
        }
    });
    let mut client = client();
    let url = format!("http://{addr}/");
    let first = client.send(&spec("GET", &url)).await;
    assert!(first.result.is_ok());
    assert!(!first.facts.returned_to_pool);
    let second = client.send(&spec("GET", &url)).await;
    assert!(second.result.is_ok());
    let (a, b) = (first.facts.connection.unwrap(), second.facts.connection.unwrap());
    assert!(!b.reused);
    assert_ne!(a.id, b.id);
    assert!(second.facts.discarded.is_empty());
    drop(client);
    server.await.unwrap();
}

#[tokio::test]
async fn no_keepalive_never_reuses() {
    let (listener, addr) = listener().await;
    let server = keep_alive_server(listener, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2);
    let mut client = client();
    let mut request = spec("GET", &format!("http://{addr}/"));
    request.options.no_keepalive = true;
    let first = client.send(&request).await;
    assert!(first.result.is_ok());
    assert!(!first.facts.returned_to_pool);
    let second = client.send(&request).await;
    assert!(!second.facts.connection.unwrap().reused);
    drop(client);
    server.await.unwrap();
}

#[tokio::test]
async fn http10_response_without_keep_alive_is_not_reused() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let head = read_head(&mut stream).await.unwrap();
        stream.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok").await.unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest).await;
        head
    });
    let mut client = client();
    let mut request = spec("GET", &format!("http://{addr}/"));
    request.options.http_version = HttpVersionPreference::Http10;
    let exchange = client.send(&request).await;
    let response = exchange.result.unwrap();
    assert_eq!(response.version, HttpVersion::Http10);
    assert!(!exchange.facts.returned_to_pool);
    drop(client);
    assert!(server.await.unwrap().starts_with("GET / HTTP/1.0\r\n"));
}

#[tokio::test]
async fn max_time_is_enforced_while_waiting() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        read_head(&mut stream).await.unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest).await;
    });
    let mut client = client();
    let mut request = spec("GET", &format!("http://{addr}/"));
    request.options.max_time = Duration::from_millis(200);
    let exchange = client.send(&request).await;
    let failure = exchange.result.unwrap_err();
    assert_eq!(failure.kind, ErrorKind::Timeout);
    if cfg!(feature = "ledger") {
        assert_eq!(failure.phase, Phase::AwaitResponse);
    }
    assert_eq!(exchange.facts.phase_reached, failure.phase);
    assert_eq!(exchange.facts.ended_with, End::Timeout);
    assert!(!exchange.facts.returned_to_pool);
    drop(client);
    server.await.unwrap();
}

#[tokio::test]
async fn http2_prior_knowledge_get() {
    use hyper::server::conn::http2 as server_h2;
    use hyper::service::service_fn;

    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let service = service_fn(|request: http::Request<Incoming>| async move {
            let body = format!("{} {}", request.method(), request.uri().path());
            Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::from(body))))
        });
        let _ = server_h2::Builder::new(TokioExecutor::new())
            .serve_connection(TokioIo::new(stream), service)
            .await;
    });
    let mut client = client();
    let mut request = spec("GET", &format!("http://{addr}/h2"));
    request.options.http_version = HttpVersionPreference::Http2PriorKnowledge;
    let first = client.send(&request).await;
    let response = first.result.unwrap();
    assert_eq!(response.version, HttpVersion::Http2);
    assert_eq!(&response.body[..], b"GET /h2");
    assert_eq!(first.facts.framing, Some(Framing::H2Stream));
    assert_eq!(first.facts.h2.unwrap().stream_id, Some(1));
    assert!(first.facts.connection.as_ref().unwrap().http2);
    assert!(first.facts.returned_to_pool);
    let second = client.send(&request).await;
    assert!(second.result.is_ok());
    assert!(second.facts.connection.unwrap().reused);
    assert_eq!(second.facts.h2.unwrap().stream_id, Some(3));
    drop(client);
    server.await.unwrap();
}

struct TlsFixture {
    addr: SocketAddr,
    cert_der: Vec<u8>,
    cert_pem: String,
    server: JoinHandle<()>,
}

async fn tls_server(alpn: &[&[u8]], connections: usize) -> TlsFixture {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    tls_server_with(&certified.cert, &certified.signing_key, alpn, connections).await
}

/// A TLS server presenting `cert` (signed by whoever) with `key`.
async fn tls_server_with(
    cert: &rcgen::Certificate,
    key: &rcgen::KeyPair,
    alpn: &[&[u8]],
    connections: usize,
) -> TlsFixture {
    let cert_der = cert.der().to_vec();
    let cert_pem = cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![rustls::pki_types::CertificateDer::from(cert_der.clone())], key)
    .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        for _ in 0..connections {
            let Ok((stream, _)) = listener.accept().await else { return };
            let Ok(tls) = acceptor.accept(stream).await else { continue };
            let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
            let service =
                hyper::service::service_fn(|_request: http::Request<Incoming>| async move {
                    Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(
                        Bytes::from_static(b"secure"),
                    )))
                });
            let io = TokioIo::new(tls);
            if h2 {
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(io, service)
                    .await;
            } else {
                let _ =
                    hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
            }
        }
    });
    TlsFixture { addr, cert_der, cert_pem, server }
}

#[tokio::test]
async fn tls_insecure_accepts_a_self_signed_certificate_and_records_it() {
    let fixture = tls_server(&[b"http/1.1"], 1).await;
    let mut client = client();
    let mut request = spec("GET", &format!("https://localhost:{}/", fixture.addr.port()));
    request.options.resolve =
        vec![("localhost".to_owned(), fixture.addr.port(), fixture.addr.ip())];
    request.options.insecure = true;
    let exchange = client.send(&request).await;
    let response = exchange.result.unwrap();
    assert_eq!(&response.body[..], b"secure");
    assert_eq!(response.peer_certificate.as_deref(), Some(&fixture.cert_der[..]));
    assert_eq!(response.version, HttpVersion::Http11);
    assert!(exchange.facts.timings.tls.is_some());
    assert!(exchange.facts.connection.unwrap().tls);
    drop(client);
    fixture.server.await.unwrap();
}

#[tokio::test]
async fn tls_with_cacert_verifies_and_negotiates_h2() {
    let fixture = tls_server(&[b"h2", b"http/1.1"], 1).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &fixture.cert_pem).unwrap();
    let mut client = client();
    let mut request = spec("GET", &format!("https://127.0.0.1:{}/", fixture.addr.port()));
    request.options.ca_certificates = vec![ca];
    let exchange = client.send(&request).await;
    let response = exchange.result.unwrap();
    assert_eq!(&response.body[..], b"secure");
    assert_eq!(response.version, HttpVersion::Http2);
    assert_eq!(response.peer_certificate.as_deref(), Some(&fixture.cert_der[..]));
    assert!(exchange.facts.h2.is_some());
    drop(client);
    fixture.server.await.unwrap();
}

#[tokio::test]
async fn tls_untrusted_certificate_fails_in_phase_tls() {
    let fixture = tls_server(&[b"http/1.1"], 1).await;
    let mut client = client();
    let request = spec("GET", &format!("https://127.0.0.1:{}/", fixture.addr.port()));
    let exchange = client.send(&request).await;
    let failure = exchange.result.unwrap_err();
    assert_eq!(failure.phase, Phase::Tls);
    assert_eq!(failure.kind, ErrorKind::Tls);
    assert_eq!(failure.operation, Operation::Handshake);
    assert!(failure.to_string().contains("certificate"), "{failure}");
    drop(client);
    fixture.server.await.unwrap();
}

/// A certificate marked as a CA (as `openssl req -x509` makes it by default) and used
/// by the server as its own, with `names` in subjectAltName or, when empty, only
/// `CN=localhost` (OpenSSL's default has no subjectAltName).
fn ca_marked_self_signed(names: &[&str]) -> (rcgen::Certificate, rcgen::KeyPair) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    (params.self_signed(&key).unwrap(), key)
}

async fn send_with_cacert(fixture: &TlsFixture, host: &str, ca_pem: &str) -> Exchange {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let mut client = client();
    let mut request = spec("GET", &format!("https://{host}:{}/", fixture.addr.port()));
    request.options.resolve =
        vec![("localhost".to_owned(), fixture.addr.port(), fixture.addr.ip())];
    request.options.ca_certificates = vec![ca];
    client.send(&request).await
}

#[tokio::test]
async fn tls_cacert_accepts_a_ca_marked_self_signed_server_certificate() {
    for names in [&["localhost"][..], &[]] {
        let (cert, key) = ca_marked_self_signed(names);
        let fixture = tls_server_with(&cert, &key, &[b"http/1.1"], 1).await;
        let exchange = send_with_cacert(&fixture, "localhost", &fixture.cert_pem).await;
        let response = exchange.result.unwrap_or_else(|e| panic!("{names:?}: {e}"));
        assert_eq!(&response.body[..], b"secure");
        fixture.server.await.unwrap();
    }
}

#[tokio::test]
async fn tls_cacert_still_checks_the_host_name_of_a_pinned_certificate() {
    // CN=localhost and no subjectAltName: valid for `localhost`, not for 127.0.0.1.
    let (cert, key) = ca_marked_self_signed(&[]);
    let fixture = tls_server_with(&cert, &key, &[b"http/1.1"], 1).await;
    let exchange = send_with_cacert(&fixture, "127.0.0.1", &fixture.cert_pem).await;
    let failure = exchange.result.unwrap_err();
    assert_eq!((failure.phase, failure.kind), (Phase::Tls, ErrorKind::Tls));
    assert!(failure.to_string().contains("NotValidForName"), "{failure}");
    fixture.server.await.unwrap();
}

#[tokio::test]
async fn tls_cacert_accepts_a_leaf_signed_by_a_separate_ca() {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let fixture = tls_server_with(&leaf, &leaf_key, &[b"http/1.1"], 2).await;
    let exchange = send_with_cacert(&fixture, "localhost", &ca_cert.pem()).await;
    assert_eq!(&exchange.result.unwrap().body[..], b"secure");
    // The leaf is not a CA: trusting it needs its issuer, not the leaf's own name.
    let other_ca = ca_marked_self_signed(&["localhost"]).0;
    let exchange = send_with_cacert(&fixture, "localhost", &other_ca.pem()).await;
    assert!(exchange.result.is_err());
    fixture.server.await.unwrap();
}

#[test]
fn keep_alive_header_parsing() {
    assert_eq!(parse_keep_alive_timeout("timeout=5, max=100"), Some(Duration::from_secs(5)));
    assert_eq!(parse_keep_alive_timeout("max=100,timeout = 2"), Some(Duration::from_secs(2)));
    assert_eq!(parse_keep_alive_timeout("max=100"), None);
}

#[test]
fn failure_sentence_for_a_reused_connection() {
    let failure = TransportFailure {
        kind: ErrorKind::ConnectionReset,
        phase: Phase::AwaitResponse,
        os: Some(OsError::from_errno(104)),
        operation: Operation::Read,
        message: "connection error".to_owned(),
        reused: Some(true),
        idle: Some(Duration::from_millis(1200)),
    };
    assert_eq!(
        failure.to_string(),
        "connection reset by peer (ECONNRESET, errno 104) while waiting for the response on a connection reused after 1.2 s idle"
    );
}

#[tokio::test]
async fn connect_to_keeps_the_host_header_and_resolve_overrides_dns() {
    let (listener, addr) = listener().await;
    let server = keep_alive_server(listener, b"HTTP/1.1 204 No Content\r\n\r\n", 2);
    let mut client = client();
    let mut request = spec("GET", "http://service.invalid/x");
    request.options.connect_to =
        vec![("service.invalid".to_owned(), 80, "127.0.0.1".to_owned(), addr.port())];
    // The server serves one connection at a time: close each after its request.
    request.options.no_keepalive = true;
    let first = client.send(&request).await;
    assert_eq!(first.result.unwrap().status, 204);
    assert_eq!(first.facts.framing, Some(Framing::None));

    let mut request = spec("GET", &format!("http://other.invalid:{}/y", addr.port()));
    request.options.resolve = vec![("other.invalid".to_owned(), addr.port(), addr.ip())];
    request.options.no_keepalive = true;
    let second = client.send(&request).await;
    assert_eq!(second.result.unwrap().remote_addr, Some(addr));
    drop(client);
    let heads = server.await.unwrap();
    assert!(heads[0].contains("Host: service.invalid\r\n"), "{}", heads[0]);
    let expected = format!("Host: other.invalid:{}\r\n", addr.port());
    assert!(heads[1].contains(&expected), "{}", heads[1]);
}

#[tokio::test]
async fn ip_version_filters_addresses() {
    let mut client = client();
    let mut request = spec("GET", "http://127.0.0.1:9/");
    request.options.ip_version = IpVersion::V6;
    let exchange = client.send(&request).await;
    let failure = exchange.result.unwrap_err();
    assert_eq!(failure.phase, Phase::Connect);
    assert_eq!(failure.kind, ErrorKind::Dns);
    assert!(failure.to_string().contains("no address of the requested family"), "{failure}");
}

#[tokio::test]
async fn unsupported_scheme_is_an_error_not_a_panic() {
    let mut client = client();
    let exchange = client.send(&spec("GET", "ftp://127.0.0.1/")).await;
    assert_eq!(exchange.result.unwrap_err().kind, ErrorKind::Other);
}

#[test]
fn the_send_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let mut client = client();
    let request = spec("GET", "http://127.0.0.1:9/");
    let future = client.send(&request);
    assert_send(&future);
}

#[tokio::test]
async fn tls_client_certificate_is_presented() {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let client_key = rcgen::KeyPair::generate().unwrap();
    let mut client_params = rcgen::CertificateParams::new(vec!["client.test".to_owned()]).unwrap();
    client_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let client_cert = client_params.signed_by(&client_key, &issuer).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("client.pem");
    let key_path = dir.path().join("client.key");
    std::fs::write(&cert_path, client_cert.pem()).unwrap();
    std::fs::write(&key_path, client_key.serialize_pem()).unwrap();

    let server_cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca_cert.der().clone()).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::clone(&provider),
    )
    .build()
    .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![server_cert.cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(server_cert.signing_key.serialize_der())
                .unwrap(),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        for _ in 0..2 {
            let (stream, _) = listener.accept().await.unwrap();
            let Ok(mut tls) = acceptor.accept(stream).await else { continue };
            let presented = tls.get_ref().1.peer_certificates().map_or(0, <[_]>::len);
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && tls.read(&mut byte).await.unwrap() == 1 {
                head.push(byte[0]);
            }
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\n{presented}"
            );
            tls.write_all(response.as_bytes()).await.unwrap();
            tls.shutdown().await.unwrap();
        }
    });

    let mut client = client();
    let mut request = spec("GET", &format!("https://127.0.0.1:{}/", addr.port()));
    request.options.insecure = true;
    let without = client.send(&request).await;
    // TLS 1.3: the server rejects the missing certificate after the client's handshake
    // finished, with an alert the client reads while waiting for the response.
    let failure = without.result.unwrap_err();
    assert_eq!(failure.kind, ErrorKind::Tls, "{failure}");
    assert!(failure.message.contains("CertificateRequired"), "{failure}");

    request.options.client_certificate = Some((cert_path, Some(key_path)));
    let with = client.send(&request).await;
    let response = with.result.unwrap();
    assert_eq!(&response.body[..], b"1");
    drop(client);
    server.await.unwrap();
}

/// An h2 server that accepts one stream and then does `misbehave` to it.
fn h2_server(listener: TcpListener, refuse: bool) -> JoinHandle<()> {
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut connection = h2::server::handshake(stream).await.unwrap();
        if let Some(Ok((_request, mut respond))) = connection.accept().await {
            if refuse {
                respond.send_reset(h2::Reason::REFUSED_STREAM);
            } else {
                connection.abrupt_shutdown(h2::Reason::INTERNAL_ERROR);
            }
            // Drive the connection until the client goes away, so the frames are sent.
            while let Some(Ok(_)) = connection.accept().await {}
            drop(respond);
        }
    })
}

fn h2_spec(addr: SocketAddr) -> RequestSpec {
    let mut request = spec("GET", &format!("http://{addr}/"));
    request.options.http_version = HttpVersionPreference::Http2PriorKnowledge;
    request
}

#[tokio::test]
async fn http2_refused_stream_is_recorded_with_the_stream_facts() {
    let (listener, addr) = listener().await;
    let server = h2_server(listener, true);
    let mut client = client();
    let exchange = client.send(&h2_spec(addr)).await;
    let failure = exchange.result.unwrap_err();
    assert_eq!(failure.kind, ErrorKind::H2RefusedStream, "{failure}");
    assert_eq!(failure.phase, Phase::AwaitResponse);
    let h2 = exchange.facts.h2.unwrap();
    assert_eq!(h2.stream_id, Some(1));
    assert_eq!(h2.rst_code, Some(7));
    assert_eq!(h2.reason, Some(7));
    assert!(!exchange.facts.returned_to_pool);
    drop(client);
    server.await.unwrap();
}

#[tokio::test]
async fn http2_goaway_is_recorded_with_the_last_stream_id() {
    let (listener, addr) = listener().await;
    let server = h2_server(listener, false);
    let mut client = client();
    let exchange = client.send(&h2_spec(addr)).await;
    let failure = exchange.result.unwrap_err();
    assert_eq!(failure.kind, ErrorKind::H2Goaway, "{failure}");
    let h2 = exchange.facts.h2.unwrap();
    assert_eq!(h2.stream_id, Some(1));
    assert_eq!(h2.goaway_code, Some(2));
    assert_eq!(h2.goaway_last_stream_id, Some(1));
    drop(client);
    server.await.unwrap();
}

#[tokio::test]
async fn an_invalid_header_fails_before_any_connection() {
    let (listener, addr) = listener().await;
    let server = keep_alive_server(listener, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1);
    let mut client = client();
    let url = format!("http://{addr}/");
    assert!(client.send(&spec("GET", &url)).await.facts.returned_to_pool);
    let mut bad = spec("GET", &url);
    bad.headers = vec![("Bad Name".to_owned(), "x".to_owned())];
    let exchange = client.send(&bad).await;
    let failure = exchange.result.unwrap_err();
    assert_eq!(failure.kind, ErrorKind::Other);
    assert!(failure.message.contains("invalid header name"), "{failure}");
    assert!(exchange.facts.connection.is_none());
    assert_eq!(client.idle_connections(), 1, "the pooled connection stays");
    drop(client);
    server.await.unwrap();
}

/// The parts of a request that go on the wire, to compare two of them.
fn wire(
    request: &http::Request<Full<Bytes>>,
) -> (String, String, http::Version, Vec<(String, Vec<u8>)>) {
    let headers = request
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect();
    (request.method().to_string(), request.uri().to_string(), request.version(), headers)
}

#[test]
fn a_repeated_request_is_cloned_from_the_one_built_before_and_equals_it() {
    let mut client = client();
    let mut post = spec("POST", "http://example.com:8080/a?b=1");
    post.headers = vec![("X-One".to_owned(), "1".to_owned())];
    post.body = Bytes::from_static(b"hello");
    let built = build_request(&post, &client.user_agent).unwrap();
    for _ in 0..3 {
        let (request, _) = client.http_request(&post).unwrap();
        assert_eq!(wire(&request), wire(&built));
    }
    assert!(client.built.as_ref().is_some_and(|b| b.matches(&post)), "kept once repeated");

    // Any difference that build_request reads gives a request built anew.
    let mut variants = Vec::new();
    let mut v = post.clone();
    v.url = url::Url::parse("http://example.com:8080/a?b=2").unwrap();
    variants.push(v);
    let mut v = post.clone();
    v.body = Bytes::from_static(b"hello!");
    variants.push(v);
    let mut v = post.clone();
    v.headers[0].1 = "2".to_owned();
    variants.push(v);
    let mut v = post.clone();
    v.method = "PUT".to_owned();
    variants.push(v);
    let mut v = post.clone();
    v.options.http_version = HttpVersionPreference::Http10;
    variants.push(v);
    let mut v = post.clone();
    v.options.raw_target = Some("/a/../a?b=1".to_owned());
    variants.push(v);
    for variant in &variants {
        let expected = build_request(variant, &client.user_agent).unwrap();
        let (request, _) = client.http_request(variant).unwrap();
        assert_eq!(wire(&request), wire(&expected), "{variant:?}");
        assert_ne!(wire(&request), wire(&built), "{variant:?}");
        // Back to the kept one: still equal to a fresh build.
        assert_eq!(wire(&client.http_request(&post).unwrap().0), wire(&built));
    }
}

#[test]
fn a_kept_request_knows_its_pool_slot_only_while_the_connection_options_are_the_same() {
    let mut client = client();
    let get = spec("GET", "https://example.com/a");
    // What the attempt does: the slot from the kept request, or looked up and remembered.
    let slot_of = |client: &mut Client, spec: &RequestSpec| {
        let (_, known) = client.http_request(spec).unwrap();
        let looked_up = client.pool.slot(&spec.url, &spec.options);
        if let Some(known) = known {
            assert_eq!(known, looked_up, "{:?}", spec.options);
        } else {
            client.remember_slot(spec, looked_up);
        }
        (known.is_some(), looked_up)
    };
    assert!(!slot_of(&mut client, &get).0);
    assert!(!slot_of(&mut client, &get).0, "kept now, its slot remembered");
    let (known, slot) = slot_of(&mut client, &get);
    assert!(known, "the third time the slot is known");
    // The same URL and request with other connection options: another key, looked up.
    let mut insecure = get.clone();
    insecure.options.insecure = true;
    let (known, other) = slot_of(&mut client, &insecure);
    assert!(!known);
    assert_ne!(other, slot);
    let mut resolved = get.clone();
    resolved.options.resolve = vec![("example.com".to_owned(), 443, "127.0.0.1".parse().unwrap())];
    let (known, other) = slot_of(&mut client, &resolved);
    assert!(!known);
    assert_ne!(other, slot);
    let mut v4 = get.clone();
    v4.options.ip_version = IpVersion::V4;
    assert!(!slot_of(&mut client, &v4).0);
    assert_eq!(slot_of(&mut client, &get), (true, slot));
}
