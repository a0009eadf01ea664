//! Opens outbound connections: name resolution with `--resolve` and `--connect-to`,
//! the address family, the TCP connect under the connect timeout, and TLS through
//! `tokio-rustls` with the `ring` provider.
//!
//! This is the only place in shakedown that calls `TcpStream::connect`, so every
//! byte shakedown sends goes through the instrumented wrapper. TLS client
//! configurations are built explicitly (webpki roots plus `--cacert` files, an
//! accept-anything verifier for `--insecure` that still records the leaf
//! certificate, ALPN per the version preference, client certificate) and cached per
//! set of TLS settings.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::transport::facts::{ErrorKind, Operation, OsError, Phase};
use crate::transport::request::{HttpVersionPreference, IpVersion, RequestOptions};

/// The byte stream under the counting wrapper: plain TCP or TLS over TCP.
#[derive(Debug)]
pub(crate) enum Stream {
    /// Cleartext.
    Plain(TcpStream),
    /// TLS; boxed because the TLS state is large.
    Tls(Box<TlsStream<TcpStream>>),
}

/// A connection that is ready for HTTP.
#[derive(Debug)]
pub(crate) struct Connected {
    pub(crate) stream: Stream,
    pub(crate) remote_addr: SocketAddr,
    /// This side's address (the fault proxy's log names connections by it).
    pub(crate) local_addr: Option<SocketAddr>,
    pub(crate) peer_certificate: Option<Vec<u8>>,
    /// ALPN chose `h2`.
    pub(crate) alpn_h2: bool,
    pub(crate) connect_time: Duration,
    pub(crate) tls_time: Option<Duration>,
}

/// Why a connection could not be opened.
#[derive(Clone, Debug)]
pub(crate) struct ConnectError {
    pub(crate) phase: Phase,
    pub(crate) kind: ErrorKind,
    pub(crate) os: Option<OsError>,
    pub(crate) operation: Operation,
    pub(crate) message: String,
    pub(crate) connect_time: Option<Duration>,
    pub(crate) tls_time: Option<Duration>,
}

impl ConnectError {
    fn from_io(phase: Phase, operation: Operation, error: &io::Error) -> ConnectError {
        let rustls_error = error.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>());
        ConnectError {
            phase,
            kind: if rustls_error.is_some() { ErrorKind::Tls } else { kind_of_io(error.kind()) },
            os: error.raw_os_error().map(OsError::from_errno),
            operation,
            message: error.to_string(),
            connect_time: None,
            tls_time: None,
        }
    }

    fn other(phase: Phase, kind: ErrorKind, operation: Operation, message: String) -> ConnectError {
        ConnectError {
            phase,
            kind,
            os: None,
            operation,
            message,
            connect_time: None,
            tls_time: None,
        }
    }
}

/// The failure kind for an `io::ErrorKind`.
pub(crate) fn kind_of_io(kind: io::ErrorKind) -> ErrorKind {
    match kind {
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
            ErrorKind::ConnectionReset
        }
        io::ErrorKind::BrokenPipe => ErrorKind::BrokenPipe,
        io::ErrorKind::ConnectionRefused => ErrorKind::Refused,
        io::ErrorKind::TimedOut => ErrorKind::Timeout,
        io::ErrorKind::UnexpectedEof => ErrorKind::Eof,
        _ => ErrorKind::Other,
    }
}

/// The TLS settings that select a client configuration (and a pool key).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct TlsSettings {
    pub(crate) insecure: bool,
    pub(crate) ca_certificates: Vec<PathBuf>,
    pub(crate) client_certificate: Option<(PathBuf, Option<PathBuf>)>,
    pub(crate) alpn_h2: bool,
    pub(crate) alpn_h1: bool,
}

impl TlsSettings {
    pub(crate) fn from_options(options: &RequestOptions) -> TlsSettings {
        let (alpn_h2, alpn_h1) = alpn(options.http_version);
        TlsSettings {
            insecure: options.insecure,
            ca_certificates: options.ca_certificates.clone(),
            client_certificate: options.client_certificate.clone(),
            alpn_h2,
            alpn_h1,
        }
    }

    /// Whether `from_options(options)` would equal these settings, without copying them.
    pub(crate) fn matches(&self, options: &RequestOptions) -> bool {
        self.insecure == options.insecure
            && (self.alpn_h2, self.alpn_h1) == alpn(options.http_version)
            && self.ca_certificates == options.ca_certificates
            && self.client_certificate == options.client_certificate
    }
}

/// The ALPN protocols offered: (h2, http/1.1).
fn alpn(version: HttpVersionPreference) -> (bool, bool) {
    match version {
        HttpVersionPreference::Default | HttpVersionPreference::Http2 => (true, true),
        HttpVersionPreference::Http10 | HttpVersionPreference::Http11 => (false, true),
        HttpVersionPreference::Http2PriorKnowledge => (true, false),
    }
}

/// Opens connections; caches TLS configurations.
#[derive(Debug, Default)]
pub(crate) struct Connector {
    tls_configs: HashMap<TlsSettings, Arc<ClientConfig>>,
}

impl Connector {
    /// Resolves, connects and (for `https`) performs the TLS handshake, all before `deadline`
    /// and within the connect timeout.
    pub(crate) async fn connect(
        &mut self,
        url: &url::Url,
        options: &RequestOptions,
        deadline: tokio::time::Instant,
    ) -> Result<Connected, ConnectError> {
        let start = Instant::now();
        let own = tokio::time::Instant::now() + options.connect_timeout;
        let connect_deadline = deadline.min(options.connect_deadline.map_or(own, |d| d.min(own)));
        let limit = if options.connect_deadline.is_some_and(|d| d < own) {
            format!(
                "the connect timeout of {:?} shared by the request's attempts",
                options.connect_timeout
            )
        } else {
            format!("the connect timeout of {:?}", options.connect_timeout)
        };
        let tls = url.scheme() == "https";
        let host = url_host(url);
        let port = url.port_or_known_default().unwrap_or(if tls { 443 } else { 80 });

        let tcp = tokio::time::timeout_at(connect_deadline, open_tcp(&host, port, options)).await;
        let connect_time = start.elapsed();
        let (tcp, remote_addr) = match tcp {
            Ok(Ok(pair)) => pair,
            Ok(Err(mut e)) => {
                e.connect_time = Some(connect_time);
                return Err(e);
            }
            Err(_elapsed) => {
                let mut e = ConnectError::other(
                    Phase::Connect,
                    ErrorKind::Timeout,
                    Operation::Connect,
                    format!(
                        "connect to {host}:{port} timed out after {connect_time:.1?} ({limit})"
                    ),
                );
                e.connect_time = Some(connect_time);
                return Err(e);
            }
        };
        // Small requests go out at once; Nagle would delay the body behind the head.
        // A failure here changes latency only, so it is not an error of the attempt.
        let _ = tcp.set_nodelay(true);
        let local_addr = tcp.local_addr().ok();
        if !tls {
            return Ok(Connected {
                stream: Stream::Plain(tcp),
                remote_addr,
                local_addr,
                peer_certificate: None,
                alpn_h2: false,
                connect_time,
                tls_time: None,
            });
        }

        let tls_start = Instant::now();
        let fail = |mut e: ConnectError| {
            e.connect_time = Some(connect_time);
            e.tls_time = Some(tls_start.elapsed());
            e
        };
        let settings = TlsSettings::from_options(options);
        let config = self.tls_config(&settings).map_err(fail)?;
        let server_name = ServerName::try_from(host.clone()).map_err(|e| {
            fail(ConnectError::other(
                Phase::Tls,
                ErrorKind::Tls,
                Operation::Handshake,
                format!("invalid TLS server name `{host}`: {e}"),
            ))
        })?;
        let handshake = TlsConnector::from(config).connect(server_name, tcp);
        let stream = match tokio::time::timeout_at(connect_deadline, handshake).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                return Err(fail(ConnectError::from_io(Phase::Tls, Operation::Handshake, &e)));
            }
            Err(_elapsed) => {
                return Err(fail(ConnectError::other(
                    Phase::Tls,
                    ErrorKind::Timeout,
                    Operation::Handshake,
                    format!("TLS handshake with {host}:{port} timed out ({limit})"),
                )));
            }
        };
        let tls_time = tls_start.elapsed();
        let (_, session) = stream.get_ref();
        let peer_certificate =
            session.peer_certificates().and_then(|c| c.first()).map(|c| c.as_ref().to_vec());
        let alpn_h2 = session.alpn_protocol() == Some(b"h2");
        Ok(Connected {
            stream: Stream::Tls(Box::new(stream)),
            remote_addr,
            local_addr,
            peer_certificate,
            alpn_h2,
            connect_time,
            tls_time: Some(tls_time),
        })
    }

    fn tls_config(&mut self, settings: &TlsSettings) -> Result<Arc<ClientConfig>, ConnectError> {
        if let Some(config) = self.tls_configs.get(settings) {
            return Ok(Arc::clone(config));
        }
        let config = Arc::new(build_tls_config(settings)?);
        self.tls_configs.insert(settings.clone(), Arc::clone(&config));
        Ok(config)
    }
}

/// The host of a URL as a string a resolver or TLS accepts (IPv6 without brackets).
pub(crate) fn url_host(url: &url::Url) -> String {
    match url.host() {
        Some(url::Host::Ipv6(addr)) => addr.to_string(),
        // The URL's own text of an IPv4 host is its canonical dotted form.
        Some(url::Host::Ipv4(_)) => url.host_str().unwrap_or_default().to_owned(),
        Some(url::Host::Domain(d)) => d.to_owned(),
        None => String::new(),
    }
}

async fn open_tcp(
    host: &str,
    port: u16,
    options: &RequestOptions,
) -> Result<(TcpStream, SocketAddr), ConnectError> {
    let (host, port) = options
        .connect_to
        .iter()
        .find(|(h1, p1, _, _)| {
            (h1.is_empty() || h1.eq_ignore_ascii_case(host)) && (*p1 == 0 || *p1 == port)
        })
        .map(|(_, _, h2, p2)| {
            let h2 = if h2.is_empty() { host } else { h2.as_str() };
            (
                h2.trim_start_matches('[').trim_end_matches(']').to_owned(),
                if *p2 == 0 { port } else { *p2 },
            )
        })
        .unwrap_or_else(|| (host.to_owned(), port));

    let mut addrs: Vec<SocketAddr> = options
        .resolve
        .iter()
        .filter(|(h, p, _)| h.eq_ignore_ascii_case(&host) && *p == port)
        .map(|(_, _, ip)| SocketAddr::new(*ip, port))
        .collect();
    if addrs.is_empty() {
        if let Ok(ip) = host.parse::<IpAddr>() {
            addrs.push(SocketAddr::new(ip, port));
        } else {
            match tokio::net::lookup_host((host.as_str(), port)).await {
                Ok(found) => addrs.extend(found),
                Err(e) => {
                    let mut err = ConnectError::from_io(Phase::Connect, Operation::Resolve, &e);
                    err.kind = ErrorKind::Dns;
                    err.message = format!("could not resolve host `{host}`: {e}");
                    return Err(err);
                }
            }
        }
    }
    addrs.retain(|a| match options.ip_version {
        IpVersion::Any => true,
        IpVersion::V4 => a.is_ipv4(),
        IpVersion::V6 => a.is_ipv6(),
    });
    let mut last = ConnectError::other(
        Phase::Connect,
        ErrorKind::Dns,
        Operation::Resolve,
        format!("no address of the requested family for host `{host}`"),
    );
    for addr in addrs {
        match connect_one(addr).await {
            Ok(stream) => return Ok((stream, addr)),
            Err(e) => {
                last = ConnectError::from_io(Phase::Connect, Operation::Connect, &e);
                last.message = format!("connect to {addr} failed: {e}");
            }
        }
    }
    Err(last)
}

#[expect(
    clippy::disallowed_methods,
    reason = "the transport's connector is the one place that opens outbound TCP connections"
)]
async fn connect_one(addr: SocketAddr) -> io::Result<TcpStream> {
    TcpStream::connect(addr).await
}

fn tls_error(message: String) -> ConnectError {
    ConnectError::other(Phase::Tls, ErrorKind::Tls, Operation::Handshake, message)
}

fn build_tls_config(settings: &TlsSettings) -> Result<ClientConfig, ConnectError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(format!("TLS configuration: {e}")))?;
    let builder = if settings.insecure {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAnything(
            provider.signature_verification_algorithms,
        )))
    } else {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let mut pinned = Vec::new();
        for path in &settings.ca_certificates {
            let certs = CertificateDer::pem_file_iter(path).map_err(|e| {
                tls_error(format!("failed to read CA file {}: {e}", path.display()))
            })?;
            for cert in certs {
                let cert = cert.map_err(|e| {
                    tls_error(format!("failed to parse CA file {}: {e}", path.display()))
                })?;
                pinned.push(cert.clone());
                roots.add(cert).map_err(|e| {
                    tls_error(format!("invalid CA certificate in {}: {e}", path.display()))
                })?;
            }
        }
        let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::clone(&provider),
        )
        .build()
        .map_err(|e| tls_error(format!("TLS configuration: {e}")))?;
        builder.dangerous().with_custom_certificate_verifier(Arc::new(CaFileVerifier {
            webpki,
            pinned,
            algorithms: provider.signature_verification_algorithms,
        }))
    };
    let mut config = match &settings.client_certificate {
        None => builder.with_no_client_auth(),
        Some((cert_path, key_path)) => {
            let certs = CertificateDer::pem_file_iter(cert_path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| {
                    tls_error(format!(
                        "failed to read client certificate {}: {e}",
                        cert_path.display()
                    ))
                })?;
            let key_path = key_path.as_ref().unwrap_or(cert_path);
            let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| {
                tls_error(format!("failed to read client key {}: {e}", key_path.display()))
            })?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| tls_error(format!("invalid client certificate or key: {e}")))?
        }
    };
    if settings.alpn_h2 {
        config.alpn_protocols.push(b"h2".to_vec());
    }
    if settings.alpn_h1 {
        config.alpn_protocols.push(b"http/1.1".to_vec());
    }
    Ok(config)
}

/// Verification with `--cacert` files, as curl does it: webpki's path validation
/// first; when that fails and the server's certificate is itself one of the
/// `--cacert` certificates (byte for byte), the certificate is trusted directly, as
/// OpenSSL trusts an anchor: it must be within its validity period and name the
/// host (subjectAltName, or the subject's CN when there is no subjectAltName). This
/// accepts OpenSSL's default self-signed certificate (`openssl req -x509`, marked
/// as a CA), which webpki refuses as `CaUsedAsEndEntity`. The handshake signature
/// is checked either way, so the peer holds that certificate's key.
#[derive(Debug)]
struct CaFileVerifier {
    webpki: Arc<rustls::client::WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for CaFileVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let error = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => return Ok(verified),
            Err(error) => error,
        };
        if !self.pinned.iter().any(|c| c.as_ref() == end_entity.as_ref()) {
            return Err(error);
        }
        pinned_certificate_valid(end_entity, server_name, now)
            .map(|()| ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The checks of a certificate trusted because it is itself in the `--cacert` set:
/// the validity period, and the host name.
fn pinned_certificate_valid(
    der: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<(), rustls::Error> {
    use rustls::CertificateError;
    use x509_parser::extensions::GeneralName;
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref())
        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
    let now_secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if now_secs < cert.validity().not_before.timestamp() {
        return Err(rustls::Error::InvalidCertificate(CertificateError::NotValidYet));
    }
    if now_secs > cert.validity().not_after.timestamp() {
        return Err(rustls::Error::InvalidCertificate(CertificateError::Expired));
    }
    let san: Vec<GeneralName<'_>> = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|ext| ext.value.general_names.clone())
        .unwrap_or_default();
    let names_host = match server_name {
        ServerName::IpAddress(ip) => {
            let ip = IpAddr::from(*ip);
            san.iter().any(|name| match name {
                GeneralName::IPAddress(bytes) => match bytes.len() {
                    4 => <[u8; 4]>::try_from(*bytes).is_ok_and(|b| IpAddr::from(b) == ip),
                    16 => <[u8; 16]>::try_from(*bytes).is_ok_and(|b| IpAddr::from(b) == ip),
                    _ => false,
                },
                _ => false,
            })
        }
        ServerName::DnsName(host) => {
            let host = host.as_ref();
            let dns: Vec<&str> = san
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) => Some(*dns),
                    _ => None,
                })
                .collect();
            if dns.is_empty() {
                // No DNS name in subjectAltName: the CN names the host (OpenSSL's and
                // curl's fallback).
                cert.subject()
                    .iter_common_name()
                    .filter_map(|cn| cn.as_str().ok())
                    .any(|cn| dns_name_matches(cn, host))
            } else {
                dns.iter().any(|pattern| dns_name_matches(pattern, host))
            }
        }
        _ => false,
    };
    if names_host {
        Ok(())
    } else {
        Err(rustls::Error::InvalidCertificate(CertificateError::NotValidForName))
    }
}

/// A certificate name against a host: case-insensitive, a leading `*.` matching
/// exactly one label.
fn dns_name_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.');
    let pattern = pattern.trim_end_matches('.');
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest.eq_ignore_ascii_case(suffix)),
        None => pattern.eq_ignore_ascii_case(host),
    }
}

/// `--insecure`: accepts any certificate, but still checks the handshake signatures
/// (as curl `-k` does) so that the session is with the holder of the presented key.
#[derive(Debug)]
struct AcceptAnything(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
