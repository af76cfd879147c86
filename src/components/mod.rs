//! Widgets shared by several pages.

pub mod error;
pub mod frame;
pub mod live;
