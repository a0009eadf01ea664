//! curl's address overrides: `--resolve HOST:PORT:ADDR` and
//! `--connect-to HOST1:PORT1:HOST2:PORT2`.

use std::net::IpAddr;

/// `--resolve HOST:PORT:ADDR`: connections to HOST:PORT go to ADDR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveRule {
    /// The host name, as in URLs.
    pub host: String,
    /// The port.
    pub port: u16,
    /// Where to connect instead (an IPv6 address may be written in brackets).
    pub addr: IpAddr,
}

/// `--connect-to HOST1:PORT1:HOST2:PORT2`: connections to HOST1:PORT1 go to HOST2:PORT2;
/// an empty host or port (port 0) matches any, or keeps the URL's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectTo {
    /// The host of the URL.
    pub host: String,
    /// The port of the URL.
    pub port: u16,
    /// The host connected to.
    pub to_host: String,
    /// The port connected to.
    pub to_port: u16,
}

/// Why a rule does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not `HOST:PORT:ADDR`.
    #[error("expected HOST:PORT:ADDR")]
    Resolve,
    /// Not `HOST1:PORT1:HOST2:PORT2`.
    #[error("expected HOST1:PORT1:HOST2:PORT2")]
    ConnectTo,
    /// A port that is not 0..65535.
    #[error("`{0}` is not a port (0 to 65535)")]
    Port(String),
    /// An address that is not an IP address.
    #[error("`{0}` is not an IP address")]
    Addr(String),
}

fn port(text: &str) -> Result<u16, AddressError> {
    text.parse().map_err(|_| AddressError::Port(text.to_owned()))
}

impl ResolveRule {
    /// Parses `HOST:PORT:ADDR`.
    pub fn parse(text: &str) -> Result<ResolveRule, AddressError> {
        let mut parts = text.splitn(3, ':');
        let (Some(host), Some(p), Some(addr)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(AddressError::Resolve);
        };
        if host.is_empty() {
            return Err(AddressError::Resolve);
        }
        let port = port(p)?;
        let addr = addr
            .trim_matches(['[', ']'])
            .parse()
            .map_err(|_| AddressError::Addr(addr.to_owned()))?;
        Ok(ResolveRule { host: host.to_owned(), port, addr })
    }
}

impl ConnectTo {
    /// Parses `HOST1:PORT1:HOST2:PORT2`.
    pub fn parse(text: &str) -> Result<ConnectTo, AddressError> {
        let parts: Vec<&str> = text.split(':').collect();
        let [host, p1, to_host, p2] = parts[..] else {
            return Err(AddressError::ConnectTo);
        };
        // As in curl, an empty host or port matches any (port 0 stands for "any").
        let any_port = |p: &str| if p.is_empty() { Ok(0) } else { port(p) };
        Ok(ConnectTo {
            host: host.to_owned(),
            port: any_port(p1)?,
            to_host: to_host.to_owned(),
            to_port: any_port(p2)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_rules() {
        let rule = ResolveRule::parse("example.com:443:127.0.0.1").unwrap();
        assert_eq!((rule.host.as_str(), rule.port), ("example.com", 443));
        assert_eq!(rule.addr, IpAddr::from([127, 0, 0, 1]));
        let v6 = ResolveRule::parse("a:80:[::1]").unwrap();
        assert_eq!(v6.addr, "::1".parse::<IpAddr>().unwrap());
        assert_eq!(ResolveRule::parse("nonsense"), Err(AddressError::Resolve));
        assert_eq!(ResolveRule::parse(":80:127.0.0.1"), Err(AddressError::Resolve));
        assert_eq!(ResolveRule::parse("a:http:1.2.3.4"), Err(AddressError::Port("http".into())));
        assert_eq!(ResolveRule::parse("a:80:host"), Err(AddressError::Addr("host".into())));
    }

    #[test]
    fn connect_to_rules() {
        let rule = ConnectTo::parse("a.test:80:127.0.0.1:8080").unwrap();
        assert_eq!(
            rule,
            ConnectTo {
                host: "a.test".into(),
                port: 80,
                to_host: "127.0.0.1".into(),
                to_port: 8080
            }
        );
        assert_eq!(ConnectTo::parse("::127.0.0.1:").unwrap().to_port, 0);
        assert_eq!(ConnectTo::parse("a:b"), Err(AddressError::ConnectTo));
        assert_eq!(ConnectTo::parse("a:1:b:99999"), Err(AddressError::Port("99999".into())));
    }
}
