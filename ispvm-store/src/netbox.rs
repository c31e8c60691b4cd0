//! NetBox import (placeholder).
