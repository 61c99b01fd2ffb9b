//! TLS for PostgreSQL connections, on rustls, chosen as libpq chooses it: by `sslmode`,
//! `sslrootcert`, `sslcert` and `sslkey` (URL parameters, else the variables `PGSSLMODE`,
//! `PGSSLROOTCERT`, `PGSSLCERT` and `PGSSLKEY`).
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | - |
//! | `allow`, `prefer` (the default, but with `sslrootcert=system`) | when the server has it | not checked |
//! | `require` | always | checked against the root certificates when there are some |
//! | `verify-ca` | always | signed by a root certificate |
//! | `verify-full` | always | signed by a root certificate, for the URL's host |
//!
//! The root certificates: the PEM file `sslrootcert` names, else `~/.postgresql/root.crt`
//! when there is one; `sslrootcert=system` trusts the system's roots, and then (as libpq 16)
//! `verify-full` is the default and the only mode allowed. The checks are webpki's, stricter
//! than OpenSSL's in two ways libpq users meet: a server certificate must name its host in a
//! subject alternative name (a common name alone is not enough), and a self-signed server
//! certificate cannot be its own root (sign it with a CA of its own, whose certificate is the
//! root).
//!
//! A client certificate, for servers that ask for one (`cert` authentication): the PEM files
//! `sslcert` (the certificate, and the chain up to the root) and `sslkey` (its unencrypted
//! key) name, else `~/.postgresql/postgresql.crt` and `~/.postgresql/postgresql.key` when the
//! certificate is there. A certificate named that cannot be read is an error.

use iterable_core::Result;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};
use std::path::PathBuf;
use std::sync::Arc;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::database::error;

/// The URL parameters this module reads (the driver's parser does not know them all).
pub(super) const PARAMETERS: &[&str] = &["sslmode", "sslrootcert", "sslcert", "sslkey"];

/// How much a connection checks of the server it talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// No TLS.
    Disable,
    /// TLS when the server has it, its certificate not checked.
    Prefer,
    /// TLS, its certificate not checked (with root certificates, `require` is `VerifyCa`).
    Require,
    /// TLS, the certificate signed by a root certificate.
    VerifyCa,
    /// TLS, the certificate signed by a root certificate and for the host.
    VerifyFull,
}

/// Where the root certificates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Roots {
    /// A PEM file.
    File(PathBuf),
    /// The system's.
    System,
}

/// A connection's TLS settings: see the [module](self).
#[derive(Debug, Clone)]
pub(super) struct Tls {
    check: Check,
    /// The root certificates named, or found at the default place.
    roots: Option<Roots>,
    /// Where they were looked for, for the error when a check needs them.
    roots_path: PathBuf,
    /// The client's certificate (PEM: it and its chain) and key files, if it has one.
    identity: Option<(PathBuf, PathBuf)>,
}

impl Tls {
    /// The settings of `parameters` (those of [`PARAMETERS`] that the URL has), else of libpq's
    /// variables.
    pub(super) fn of(url: &str, parameters: &[(String, String)]) -> Result<Tls> {
        let given = |name: &str, variable: &str| {
            let value = parameters.iter().rev().find(|(n, _)| n == name);
            value
                .map(|(_, v)| v.clone())
                .or_else(|| std::env::var(variable).ok())
                .filter(|v| !v.is_empty())
        };
        let system_roots = given("sslrootcert", "PGSSLROOTCERT").as_deref() == Some("system");
        let check = match given("sslmode", "PGSSLMODE").as_deref() {
            // As libpq 16: the system's roots are for checking names too.
            None if system_roots => Check::VerifyFull,
            Some(mode) if system_roots && mode != "verify-full" => {
                return Err(error(
                    url,
                    format!("sslrootcert=system needs sslmode=verify-full, not {mode:?}"),
                ));
            }
            Some("disable") => Check::Disable,
            Some("allow" | "prefer") | None => Check::Prefer,
            Some("require") => Check::Require,
            Some("verify-ca") => Check::VerifyCa,
            Some("verify-full") => Check::VerifyFull,
            Some(other) => {
                return Err(error(
                    url,
                    format!(
                        "sslmode {other:?} is none of disable, allow, prefer, require, \
                         verify-ca, verify-full"
                    ),
                ));
            }
        };
        let default = |name: &str| {
            std::env::var_os("HOME")
                .map(|home| PathBuf::from(home).join(".postgresql").join(name))
                .unwrap_or_else(|| PathBuf::from(format!("~/.postgresql/{name}")))
        };
        let default_path = default("root.crt");
        let (roots, roots_path) = match given("sslrootcert", "PGSSLROOTCERT") {
            Some(_) if system_roots => (Some(Roots::System), default_path),
            Some(path) => (Some(Roots::File(path.clone().into())), path.into()),
            None => {
                let found = default_path
                    .is_file()
                    .then(|| Roots::File(default_path.clone()));
                (found, default_path)
            }
        };
        let certificate = given("sslcert", "PGSSLCERT").map(PathBuf::from);
        let certificate =
            certificate.or_else(|| Some(default("postgresql.crt")).filter(|p| p.is_file()));
        let identity = certificate.map(|certificate| {
            let key = given("sslkey", "PGSSLKEY")
                .map_or_else(|| default("postgresql.key"), PathBuf::from);
            (certificate, key)
        });
        // As libpq: given root certificates, `require` checks who signed the server's.
        let check = match (check, &roots) {
            (Check::Require, Some(_)) => Check::VerifyCa,
            (check, _) => check,
        };
        Ok(Tls {
            check,
            roots,
            roots_path,
            identity,
        })
    }

    /// The mode the driver negotiates TLS by.
    pub(super) fn ssl_mode(&self) -> SslMode {
        match self.check {
            Check::Disable => SslMode::Disable,
            Check::Prefer => SslMode::Prefer,
            Check::Require | Check::VerifyCa | Check::VerifyFull => SslMode::Require,
        }
    }

    /// The driver's TLS connector for these settings.
    pub(super) fn connector(&self, url: &str) -> Result<MakeRustlsConnect> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| error(url, format!("cannot set up TLS: {e}")))?;
        let check = self.check;
        let roots = match check {
            Check::VerifyCa | Check::VerifyFull => Some(self.root_store(url)?),
            Check::Disable | Check::Prefer | Check::Require => None,
        };
        let config = match (check, roots) {
            (Check::VerifyFull, Some(roots)) => builder.with_root_certificates(roots),
            (_, roots) => {
                let chain = match roots {
                    Some(roots) => Some(
                        WebPkiServerVerifier::builder_with_provider(
                            Arc::new(roots),
                            provider.clone(),
                        )
                        .build()
                        .map_err(|e| error(url, format!("cannot set up TLS: {e}")))?,
                    ),
                    None => None,
                };
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(ChainOnly {
                        chain,
                        algorithms: provider.signature_verification_algorithms,
                    }))
            }
        };
        let config = match &self.identity {
            None => config.with_no_client_auth(),
            Some((certificate, key)) => {
                let unreadable = |what: &str, path: &PathBuf, e: &dyn std::fmt::Display| {
                    error(url, format!("cannot read the client {what} {path:?}: {e}"))
                };
                let chain = pem_certificates(certificate)
                    .map_err(|e| unreadable("certificate", certificate, &e))?;
                let key =
                    PrivateKeyDer::from_pem_file(key).map_err(|e| unreadable("key", key, &e))?;
                config
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| error(url, format!("cannot use the client certificate: {e}")))?
            }
        };
        Ok(MakeRustlsConnect::new(config))
    }

    /// The root certificates a check trusts; an error when there are none.
    fn root_store(&self, url: &str) -> Result<RootCertStore> {
        let mut store = RootCertStore::empty();
        match &self.roots {
            None => {
                return Err(error(
                    url,
                    format!(
                        "root certificate file {:?} does not exist: name one with \
                         sslrootcert=FILE, trust the system's with sslrootcert=system, or \
                         choose an sslmode that does not check the server's certificate",
                        self.roots_path
                    ),
                ));
            }
            Some(Roots::System) => {
                let found = rustls_native_certs::load_native_certs();
                if found.certs.is_empty() {
                    let why = found.errors.first().map(|e| format!(": {e}"));
                    return Err(error(
                        url,
                        format!(
                            "sslrootcert=system: the system has no root certificates{}",
                            why.unwrap_or_default()
                        ),
                    ));
                }
                store.add_parsable_certificates(found.certs);
            }
            Some(Roots::File(path)) => {
                let unreadable = |e: &dyn std::fmt::Display| {
                    error(url, format!("cannot read root certificates {path:?}: {e}"))
                };
                for certificate in pem_certificates(path).map_err(|e| unreadable(&e))? {
                    store.add(certificate).map_err(|e| unreadable(&e))?;
                }
            }
        }
        Ok(store)
    }
}

/// The certificates of the PEM file at `path`, at least one; why not, in words.
fn pem_certificates(
    path: &std::path::Path,
) -> std::result::Result<Vec<CertificateDer<'static>>, String> {
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|e| e.to_string())?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    match certificates.is_empty() {
        true => Err("no PEM certificate in it".to_owned()),
        false => Ok(certificates),
    }
}

/// The server's certificate checked against the root certificates but not for the host's
/// name (`verify-ca`), or not at all (`prefer`, `require` without roots): its signature on the
/// handshake is checked either way.
#[derive(Debug)]
struct ChainOnly {
    chain: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            checked => checked,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls(parameters: &[(&str, &str)]) -> Result<Tls> {
        let parameters: Vec<_> = parameters
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Tls::of("postgres://h/db", &parameters)
    }

    #[test]
    fn modes_are_libpqs() {
        let require = tls(&[("sslmode", "require"), ("sslrootcert", "/no/such.pem")]).unwrap();
        assert_eq!(require.ssl_mode(), SslMode::Require);
        assert_eq!(require.roots, Some(Roots::File("/no/such.pem".into())));
        let message = require
            .connector("postgres://h/db")
            .err()
            .unwrap()
            .to_string();
        assert!(
            message.contains("cannot read root certificates"),
            "{message}"
        );
        let disable = tls(&[("sslmode", "disable")]).unwrap();
        assert_eq!(disable.ssl_mode(), SslMode::Disable);
        let certified = tls(&[("sslcert", "/no/such.crt"), ("sslkey", "/no/such.key")]).unwrap();
        let message = certified
            .connector("postgres://h/db")
            .err()
            .unwrap()
            .to_string();
        assert!(
            message.contains("cannot read the client certificate"),
            "{message}"
        );
        let system = tls(&[("sslrootcert", "system")]).unwrap();
        assert_eq!(
            (system.check, system.roots),
            (Check::VerifyFull, Some(Roots::System))
        );
        let message = tls(&[("sslrootcert", "system"), ("sslmode", "require")])
            .unwrap_err()
            .to_string();
        assert!(message.contains("needs sslmode=verify-full"), "{message}");
        let message = tls(&[("sslmode", "verify")]).unwrap_err().to_string();
        assert!(message.contains("none of disable, allow"), "{message}");
    }
}
