//! Charts drawn as SVG on the server, so they read before the page hydrates (and without
//! script). Each is a figure with a title and a summary for screen readers, and the same
//! numbers as a table under "Show as a table".

use leptos::prelude::*;

/// One bar: its label and value, and how the value reads.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub shown: String,
}

const WIDTH: f64 = 640.0;
const COLUMN_HEIGHT: f64 = 180.0;
/// Room on the left for the axis labels of a column chart, and under it for the days.
const AXIS_LEFT: f64 = 56.0;
const AXIS_BOTTOM: f64 = 22.0;
/// A row of a bar chart, and the room for its label on the left.
const ROW_HEIGHT: f64 = 30.0;
const LABEL_WIDTH: f64 = 150.0;

/// A value per day (or any ordered series) as columns, the largest marked on the axis.
#[component]
pub fn ColumnChart(
    /// Unique on the page: names the title for assistive technology.
    id: &'static str,
    #[prop(into)] title: String,
    /// What the series adds up to, as people read it ("12 bookings").
    #[prop(into)]
    total: String,
    bars: Vec<Bar>,
) -> impl IntoView {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let highest = bars.iter().max_by_key(|b| b.value).filter(|b| b.value > 0);
    let summary = match highest {
        Some(bar) => format!("{total} in all; the most, {}, on {}.", bar.shown, bar.label),
        None => format!("{total} in all."),
    };
    let max_shown = highest.map_or("0".to_string(), |b| b.shown.clone());
    let plot_width = WIDTH - AXIS_LEFT;
    let step = plot_width / bars.len().max(1) as f64;
    let bar_width = (step * 0.8).max(1.0);
    let columns = bars
        .iter()
        .enumerate()
        .map(|(i, bar)| {
            let height = COLUMN_HEIGHT * bar.value.max(0) as f64 / max as f64;
            view! {
                <rect
                    x=format!("{:.1}", AXIS_LEFT + i as f64 * step + (step - bar_width) / 2.0)
                    y=format!("{:.1}", COLUMN_HEIGHT - height)
                    width=format!("{bar_width:.1}")
                    height=format!("{height:.1}")
                    class="bar"
                >
                    <title>{format!("{}: {}", bar.label, bar.shown)}</title>
                </rect>
            }
        })
        .collect_view();
    let first = bars.first().map(|b| b.label.clone()).unwrap_or_default();
    let last = bars.last().map(|b| b.label.clone()).unwrap_or_default();
    let baseline = format!("{COLUMN_HEIGHT}");
    view! {
        <figure class="chart">
            <figcaption id=format!("{id}-title")>{title.clone()}" · "<span class="muted">{total.clone()}</span></figcaption>
            <svg
                viewBox=format!("0 0 {WIDTH} {}", COLUMN_HEIGHT + AXIS_BOTTOM)
                role="img"
                aria-labelledby=format!("{id}-title {id}-desc")
            >
                <desc id=format!("{id}-desc")>{summary}</desc>
                <line x1=AXIS_LEFT.to_string() x2=WIDTH.to_string() y1=baseline.clone() y2=baseline class="axis"/>
                <text x=format!("{}", AXIS_LEFT - 6.0) y="12" text-anchor="end" class="tick">{max_shown}</text>
                <text x=format!("{}", AXIS_LEFT - 6.0) y=format!("{COLUMN_HEIGHT}") text-anchor="end" class="tick">"0"</text>
                {columns}
                <text x=AXIS_LEFT.to_string() y=format!("{}", COLUMN_HEIGHT + 16.0) class="tick">{first}</text>
                <text x=WIDTH.to_string() y=format!("{}", COLUMN_HEIGHT + 16.0) text-anchor="end" class="tick">{last}</text>
            </svg>
            <TableView title bars/>
        </figure>
    }
    .into_any()
}

/// Stages or parts side by side as horizontal bars, each with its value written after it.
#[component]
pub fn BarChart(
    id: &'static str,
    #[prop(into)] title: String,
    /// A sentence under the title, e.g. how the funnel counts.
    #[prop(optional)]
    note: Option<String>,
    bars: Vec<Bar>,
) -> impl IntoView {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let height = ROW_HEIGHT * bars.len().max(1) as f64;
    let summary = bars
        .iter()
        .map(|b| format!("{}: {}", b.label, b.shown))
        .collect::<Vec<_>>()
        .join("; ");
    let room = WIDTH - LABEL_WIDTH - 90.0;
    let rows = bars
        .iter()
        .enumerate()
        .map(|(i, bar)| {
            let y = i as f64 * ROW_HEIGHT;
            let length = room * bar.value.max(0) as f64 / max as f64;
            view! {
                <text x=format!("{}", LABEL_WIDTH - 8.0) y=format!("{:.1}", y + 19.0) text-anchor="end" class="tick">{bar.label.clone()}</text>
                <rect x=LABEL_WIDTH.to_string() y=format!("{:.1}", y + 5.0) width=format!("{length:.1}") height="20" class="bar"/>
                <text x=format!("{:.1}", LABEL_WIDTH + length + 6.0) y=format!("{:.1}", y + 19.0) class="value">{bar.shown.clone()}</text>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <figcaption id=format!("{id}-title")>{title.clone()}</figcaption>
            {note.map(|note| view! { <p class="muted small">{note}</p> })}
            <svg viewBox=format!("0 0 {WIDTH} {height}") role="img" aria-labelledby=format!("{id}-title {id}-desc")>
                <desc id=format!("{id}-desc")>{summary}</desc>
                {rows}
            </svg>
            <TableView title bars/>
        </figure>
    }
    .into_any()
}

/// The chart's numbers as a table, folded away until asked for.
#[component]
fn TableView(title: String, bars: Vec<Bar>) -> impl IntoView {
    let rows = bars
        .into_iter()
        .map(|bar| view! { <tr><th scope="row">{bar.label}</th><td>{bar.shown}</td></tr> })
        .collect_view();
    view! {
        <details class="table-view">
            <summary>"Show as a table"</summary>
            <div class="table-scroll">
                <table>
                    <caption class="visually-hidden">{title}</caption>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </details>
    }
    .into_any()
}
