//! Widgets shared by several pages.

pub mod frame;
pub mod live;
