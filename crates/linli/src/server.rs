//! The HTTP server: the router over hyper's HTTP/1.1 connections, with the time limits
//! that `axum::serve` does not set. A client that sends its request head slowly (or not
//! at all: slowloris), or keeps an idle connection open, is cut off after
//! [`HEADER_TIMEOUT`]; the request itself (body included) is bounded by the router's
//! timeout layer. On the shutdown signal the listener closes and the server waits for
//! the connections it has, each finishing its request in flight, for at most
//! [`SHUTDOWN_GRACE`]; long-lived responses end on the signal (see `AppState::stopping`).

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How long a client may take to send a request head, or leave a kept-alive connection idle.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a stop waits for the connections it has before it closes them: shorter than
/// the 30 s after which systemd and Kubernetes send SIGKILL by default.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service = tower::service_fn(move |mut req: axum::http::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(req.map(axum::body::Body::new))
        });
        let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection ended");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!(grace = ?SHUTDOWN_GRACE, "connections still open after the grace period; closing them");
    }
}
