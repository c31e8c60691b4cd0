//! The [`DeviceAdapter`] trait: the one thing a vendor implements.
//!
//! An adapter identifies a device and collects canonical [`Sample`]s and [`Event`]s from it,
//! named by the registry in `ispvm-schemas` (which also offers a conformance kit to check an
//! adapter's output). `ispvm-routeros` is the reference implementation.

use crate::ErrorCause;
use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::id::EntityId;
use crate::ingest::{Event, Sample};

/// Who a device is, as it reports itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct DeviceIdentity {
    /// Entity id used for the device's samples.
    pub device_id: EntityId,
    /// Vendor, e.g. `mikrotik`.
    pub vendor: String,
    /// Hardware model or board name, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Software version, e.g. `7.18.2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Serial number, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
}

impl DeviceIdentity {
    /// An identity with only the id and vendor known.
    #[must_use]
    pub fn new(device_id: EntityId, vendor: impl Into<String>) -> Self {
        Self {
            device_id,
            vendor: vendor.into(),
            model: None,
            version: None,
            serial: None,
        }
    }

    /// Sets the model.
    #[must_use]
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets the version.
    #[must_use]
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }
}

/// What one collection produced.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Collection {
    /// Metric samples.
    pub samples: Vec<Sample>,
    /// Events.
    pub events: Vec<Event>,
    /// Non-fatal problems (a menu the device lacks, a value that could not be parsed).
    pub warnings: Vec<String>,
}

impl Collection {
    /// An empty collection.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

/// Why an adapter could not identify or collect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdapterError {
    /// The device could not be reached (connection refused, no route, TLS failure).
    #[error("device {device} unreachable: {reason}")]
    Unreachable {
        /// Device address or id.
        device: String,
        /// What went wrong (never contains credentials).
        reason: String,
        /// The underlying error (the client's, down to the `io::Error`), when there is one.
        #[source]
        source: Option<ErrorCause>,
    },
    /// The device refused the credentials.
    #[error("device {device} refused the login")]
    Authentication {
        /// Device address or id.
        device: String,
    },
    /// An operation took too long.
    #[error("device {device}: {operation} timed out")]
    Timeout {
        /// Device address or id.
        device: String,
        /// The operation (`connect`, `login`, `/interface/print`...).
        operation: String,
    },
    /// The device answered something the adapter cannot understand.
    #[error("device {device}: protocol error: {message}")]
    Protocol {
        /// Device address or id.
        device: String,
        /// What was wrong.
        message: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<ErrorCause>,
    },
}

impl AdapterError {
    /// [`AdapterError::Unreachable`] caused by `error` (its text becomes the reason, the error
    /// itself the [`source`](std::error::Error::source)).
    ///
    /// # Examples
    /// ```
    /// use std::error::Error as _;
    /// use ispvm_model::AdapterError;
    /// let e = AdapterError::unreachable("agg1", std::io::Error::other("connection refused"));
    /// assert_eq!(e.to_string(), "device agg1 unreachable: connection refused");
    /// assert_eq!(e.source().unwrap().to_string(), "connection refused");
    /// ```
    #[must_use]
    pub fn unreachable(
        device: impl Into<String>,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        AdapterError::Unreachable {
            device: device.into(),
            reason: error.to_string(),
            source: Some(ErrorCause::new(error)),
        }
    }

    /// [`AdapterError::Protocol`] caused by `error`.
    #[must_use]
    pub fn protocol(
        device: impl Into<String>,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        AdapterError::Protocol {
            device: device.into(),
            message: error.to_string(),
            source: Some(ErrorCause::new(error)),
        }
    }
}

/// A vendor's way to identify a device and collect canonical samples and events from it.
///
/// Object-safe: keep adapters of several vendors in one `Vec<Box<dyn DeviceAdapter>>`.
///
/// # Examples
/// A toy adapter that reports a constant CPU load:
/// ```
/// use async_trait::async_trait;
/// use ispvm_model::{AdapterError, Collection, DeviceAdapter, DeviceIdentity, EntityKind, Sample, SampleValue};
///
/// struct Toy;
///
/// #[async_trait]
/// impl DeviceAdapter for Toy {
///     async fn identity(&self) -> Result<DeviceIdentity, AdapterError> {
///         Ok(DeviceIdentity::new("toy1".parse().unwrap(), "toyvendor"))
///     }
///     async fn collect(&self) -> Result<Collection, AdapterError> {
///         let id = self.identity().await?.device_id;
///         let mut c = Collection::new();
///         c.samples.push(Sample::new(
///             "2026-01-01T00:00:00Z".parse().unwrap(),
///             "device.cpu_pct", EntityKind::Device, id, SampleValue::Num(5.0), "%", "toy",
///         ));
///         Ok(c)
///     }
/// }
///
/// let adapters: Vec<Box<dyn DeviceAdapter>> = vec![Box::new(Toy)];
/// let collected = futures::executor::block_on(adapters[0].collect()).unwrap();
/// assert_eq!(collected.samples[0].metric_name, "device.cpu_pct");
/// ```
#[async_trait]
pub trait DeviceAdapter: Send + Sync {
    /// Identifies the device.
    ///
    /// # Errors
    /// [`AdapterError`] when the device cannot be reached or understood.
    async fn identity(&self) -> Result<DeviceIdentity, AdapterError>;

    /// Collects one round of samples and events.
    ///
    /// Menus or tables the device lacks are reported in [`Collection::warnings`], not as errors.
    ///
    /// # Errors
    /// [`AdapterError`] when the device cannot be reached, refuses the login or breaks the
    /// protocol.
    async fn collect(&self) -> Result<Collection, AdapterError>;
}

impl fmt::Debug for dyn DeviceAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("dyn DeviceAdapter")
    }
}
