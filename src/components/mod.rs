//! Widgets shared by several pages.

pub mod chart;
pub mod confirm;
pub mod error;
pub mod form;
pub mod frame;
pub mod live;
