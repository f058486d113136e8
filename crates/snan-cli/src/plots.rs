//! PNG plots of a few-shot sweep (`snan fewshot`), drawn with plotters into an RGB buffer and
//! encoded with `image`.
//!
//! - `accuracy_vs_impulse.png`: accuracy (%) against the impulse density (clean = 0), one panel per
//!   k, one line per model, a translucent ± sd band over seeds;
//! - `accuracy_vs_occlusion.png`: the same against the occlusion size;
//! - `accuracy_vs_k.png`: clean accuracy against the shots per class.
//!
//! A plot is written only when its x axis has more than one value. Text is rasterised with
//! `ab_glyph` from a TrueType font loaded at run time, the first one found on the system
//! (`$SNAN_PLOT_FONT` first); with none, the plots are drawn without any text (lines, bands, grid
//! only) and one warning line is printed. (plotters draws only the shapes: its own `ab_glyph` text
//! ignores the glyphs' side bearings, which makes words look unevenly spaced.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::fewshot::Row;

/// Font files tried in order (after `$SNAN_PLOT_FONT`).
const FONT_CANDIDATES: [&str; 10] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// Line colours (Tableau 10), by model in order of first appearance.
const COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

const PANEL_W: u32 = 640;
const PANEL_H: u32 = 460;
const TITLE_H: u32 = 44;
const LEGEND_ROW_H: u32 = 30;

/// The font of the plots' text, loaded once per process from the first file found; `None` (after
/// one warning line) when there is none.
fn font() -> Option<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| {
        let env = std::env::var_os("SNAN_PLOT_FONT").map(PathBuf::from);
        for path in env.into_iter().chain(FONT_CANDIDATES.iter().map(PathBuf::from)) {
            let Ok(bytes) = std::fs::read(&path) else { continue };
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            if let Ok(f) = FontRef::try_from_slice(bytes) {
                return Some(f);
            }
        }
        eprintln!(
            "warning: no TrueType font found (set SNAN_PLOT_FONT, or install DejaVu Sans); plots are drawn without text"
        );
        None
    })
    .as_ref()
}

/// One line of a panel: a model's mean accuracy (%) and its sd over seeds, at each x.
#[derive(Clone, Debug)]
struct Series {
    model: String,
    /// (x, mean %, sd %), sorted by x.
    points: Vec<(f64, f64, f64)>,
}

/// One panel: a caption (e.g. `k = 5`) and its lines.
struct Panel {
    caption: String,
    series: Vec<Series>,
}

/// One figure: title, axis descriptions and panels.
struct Figure {
    title: String,
    x_desc: String,
    /// A categorical x axis: point i is drawn at x = i and labelled `x_categories[i]` (the shots,
    /// evenly spaced); empty for a numeric axis.
    x_categories: Vec<String>,
    panels: Vec<Panel>,
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let sd = if v.len() > 1 { (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt() } else { 0.0 };
    (m, sd)
}

/// Groups `(x, accuracy)` pairs by x into (x, mean %, sd %).
fn aggregate(mut pts: Vec<(f64, f64)>) -> Vec<(f64, f64, f64)> {
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out = Vec::new();
    let mut i = 0;
    while i < pts.len() {
        let x = pts[i].0;
        let accs: Vec<f64> = pts[i..].iter().take_while(|p| p.0 == x).map(|p| 100.0 * p.1).collect();
        i += accs.len();
        let (m, sd) = mean_sd(&accs);
        out.push((x, m, sd));
    }
    out
}

/// Distinct x values as ordered bit patterns (all x here are ≥ 0, so bit order = numeric order).
fn distinct(xs: impl Iterator<Item = f64>) -> usize {
    xs.map(f64::to_bits).collect::<BTreeSet<_>>().len()
}

/// The series name of a row: the model, prefixed by the data set when the rows mix several.
fn series_name(r: &Row, multi: bool) -> String {
    if multi { format!("{}/{}", r.dataset, r.model) } else { r.model.clone() }
}

fn level(r: &Row) -> Option<f64> {
    r.level.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The figure of accuracy against the level of `kind` (`impulse` / `occlusion`), clean rows at 0;
/// `None` when there is a single x value.
fn corruption_figure(rows: &[Row], kind: &str, what: &str, datasets: &str, multi: bool) -> Option<Figure> {
    let used: Vec<(&Row, f64)> = rows
        .iter()
        .filter(|r| r.corruption == kind || r.corruption == "none")
        .filter_map(|r| Some((r, if r.corruption == "none" { 0.0 } else { level(r)? })))
        .collect();
    if distinct(used.iter().map(|u| u.1)) < 2 {
        return None;
    }
    let names = model_order(rows, multi);
    let shots: BTreeSet<usize> = used.iter().map(|u| u.0.shots).collect();
    let panels = shots
        .into_iter()
        .map(|k| Panel {
            caption: format!("k = {k} shot{} per class", if k == 1 { "" } else { "s" }),
            series: names
                .iter()
                .filter_map(|name| {
                    let pts: Vec<(f64, f64)> = used
                        .iter()
                        .filter(|u| u.0.shots == k && series_name(u.0, multi) == *name)
                        .map(|u| (u.1, u.0.accuracy))
                        .collect();
                    (!pts.is_empty()).then(|| Series { model: name.clone(), points: aggregate(pts) })
                })
                .collect(),
        })
        .collect();
    Some(Figure {
        title: format!("{datasets}: accuracy vs {what} (mean ± sd over seeds)"),
        x_desc: match kind {
            "impulse" => "impulse-noise density p (fraction of pixels)".into(),
            _ => "occlusion size (fraction of the object's bounding box)".into(),
        },
        x_categories: Vec::new(),
        panels,
    })
}

/// The figure of clean accuracy against k; `None` when there is a single k.
fn shots_figure(rows: &[Row], datasets: &str, multi: bool) -> Option<Figure> {
    let clean: Vec<&Row> = rows.iter().filter(|r| r.corruption == "none").collect();
    if distinct(clean.iter().map(|r| r.shots as f64)) < 2 {
        return None;
    }
    let shots: Vec<usize> = clean.iter().map(|r| r.shots).collect::<BTreeSet<_>>().into_iter().collect();
    let index = |k: usize| shots.iter().position(|&s| s == k).unwrap_or(0) as f64;
    let series = model_order(rows, multi)
        .into_iter()
        .filter_map(|name| {
            let pts: Vec<(f64, f64)> =
                clean.iter().filter(|r| series_name(r, multi) == name).map(|r| (index(r.shots), r.accuracy)).collect();
            (!pts.is_empty()).then(|| Series { model: name, points: aggregate(pts) })
        })
        .collect();
    Some(Figure {
        title: format!("{datasets}: clean accuracy vs shots (mean ± sd over seeds)"),
        x_desc: "shots per class (k)".into(),
        x_categories: shots.iter().map(|k| k.to_string()).collect(),
        panels: vec![Panel { caption: String::new(), series }],
    })
}

/// Series names in order of first appearance.
fn model_order(rows: &[Row], multi: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rows {
        let n = series_name(r, multi);
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// Writes the plots of `rows` (see the module docs) into `out_dir`; returns the files written.
pub fn write_plots(rows: &[Row], out_dir: &Path) -> Result<Vec<PathBuf>> {
    write_plots_with(rows, out_dir, font())
}

fn write_plots_with(rows: &[Row], out_dir: &Path, font: Option<&FontRef<'static>>) -> Result<Vec<PathBuf>> {
    let datasets: Vec<&str> = {
        let mut d: Vec<&str> = Vec::new();
        for r in rows {
            if !d.contains(&r.dataset.as_str()) {
                d.push(&r.dataset);
            }
        }
        d
    };
    let multi = datasets.len() > 1;
    let datasets = datasets.join(", ");
    let names = model_order(rows, multi);
    let figures = [
        ("accuracy_vs_impulse.png", corruption_figure(rows, "impulse", "impulse-noise density", &datasets, multi)),
        ("accuracy_vs_occlusion.png", corruption_figure(rows, "occlusion", "occlusion size", &datasets, multi)),
        ("accuracy_vs_k.png", shots_figure(rows, &datasets, multi)),
    ];
    let mut written = Vec::new();
    for (file, fig) in figures {
        let Some(fig) = fig else { continue };
        let path = out_dir.join(file);
        render(&fig, &names, font, &path).with_context(|| format!("cannot write plot {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Draws a figure and saves it as PNG.
fn render(fig: &Figure, names: &[String], font: Option<&FontRef<'static>>, path: &Path) -> Result<()> {
    let n = fig.panels.len().max(1) as u32;
    let cols = n.min(3);
    let grid_rows = n.div_ceil(cols);
    let width = cols * PANEL_W;
    let header = match font {
        Some(f) => TITLE_H + legend_layout(f, names, width).len() as u32 * LEGEND_ROW_H + 6,
        None => 10,
    };
    let height = header + grid_rows * PANEL_H;
    let mut buf = vec![0u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let (top, body) = root.split_vertically(header);
        if let Some(f) = font {
            draw_header(&top, f, fig, names, width).map_err(|e| anyhow!("{e}"))?;
        }
        let (lo, hi) = y_range(fig);
        let x_range = if fig.x_categories.is_empty() {
            let x_max =
                fig.panels.iter().flat_map(|p| &p.series).flat_map(|s| &s.points).map(|p| p.0).fold(0.0, f64::max);
            let pad = 0.04 * x_max.max(1e-9);
            -pad..x_max + pad
        } else {
            -0.25..fig.x_categories.len() as f64 - 0.75
        };
        let areas = body.split_evenly((grid_rows as usize, cols as usize));
        for (panel, area) in fig.panels.iter().zip(areas) {
            draw_panel(&area, font, fig, panel, names, x_range.clone(), lo..hi).map_err(|e| anyhow!("{e}"))?;
        }
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    let img = image::RgbImage::from_raw(width, height, buf).context("bad image buffer size")?;
    img.save_with_format(path, image::ImageFormat::Png)?;
    Ok(())
}

/// A y range in %, shared by the panels: the bands' extent rounded out to tens within [0, 100].
fn y_range(fig: &Figure) -> (f64, f64) {
    let pts = || fig.panels.iter().flat_map(|p| &p.series).flat_map(|s| &s.points);
    let lo = pts().map(|p| p.1 - p.2).fold(f64::INFINITY, f64::min);
    let hi = pts().map(|p| p.1 + p.2).fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 100.0);
    }
    let lo = (((lo - 2.0) / 10.0).floor() * 10.0).clamp(0.0, 90.0);
    let hi = (((hi + 2.0) / 10.0).ceil() * 10.0).clamp(lo + 10.0, 100.0);
    // A little room so that markers at 0 % or 100 % are not cut by the frame.
    (lo - 1.5, hi + 1.5)
}

/// Round tick values (steps of 1, 2 or 5 × 10^e) in [lo, hi], at most about `max`, and the number of
/// decimals their labels need.
fn nice_ticks(lo: f64, hi: f64, max: usize) -> (Vec<f64>, usize) {
    let span = hi - lo;
    if !span.is_finite() || span <= 0.0 {
        return (vec![lo], 0);
    }
    let mut step = 10f64.powf((span / max as f64).log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if span / (step * m) <= max as f64 {
            step *= m;
            break;
        }
    }
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let ticks = ((lo / step).ceil() as i64..=(hi / step).floor() as i64).map(|i| i as f64 * step).collect();
    (ticks, decimals)
}

fn color_of(names: &[String], model: &str) -> RGBColor {
    COLORS[names.iter().position(|n| n == model).unwrap_or(0) % COLORS.len()]
}

const TEXT: RGBColor = RGBColor(20, 20, 20);
const AXIS: RGBColor = RGBColor(90, 90, 90);
const GRID: RGBColor = RGBColor(222, 222, 222);
const LEGEND_SIZE: f32 = 18.0;

/// Width in pixels of `text` at `size` px.
fn text_width(font: &FontRef<'static>, size: f32, text: &str) -> f32 {
    let sf = font.as_scaled(PxScale::from(size));
    let mut prev = None;
    let mut w = 0.0;
    for c in text.chars() {
        let id = sf.glyph_id(c);
        if let Some(p) = prev {
            w += sf.kern(p, id);
        }
        w += sf.h_advance(id);
        prev = Some(id);
    }
    w
}

/// Draws `text` (`size` px, anti-aliased) on `area` (screen coordinates) so that the point
/// `anchor` of its box — (0, 0) top left, (0.5, 0.5) centre, (1, 1) bottom right, of the box as
/// seen on screen — lies at `at`; `rotated` turns it a quarter left (read upwards, for y axes).
#[allow(clippy::too_many_arguments)]
fn draw_text(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    font: &FontRef<'static>,
    text: &str,
    size: f32,
    color: RGBColor,
    at: (i32, i32),
    anchor: (f32, f32),
    rotated: bool,
) -> DrawResult<()> {
    let sf = font.as_scaled(PxScale::from(size));
    let (w, h) = (text_width(font, size, text), sf.ascent() - sf.descent());
    let (bw, bh) = if rotated { (h, w) } else { (w, h) };
    let left = (at.0 as f32 - bw * anchor.0).round();
    let top = (at.1 as f32 - bh * anchor.1).round();
    let mut caret = 0.0;
    let mut prev = None;
    let mut result = Ok(());
    for c in text.chars() {
        let id = sf.glyph_id(c);
        if let Some(p) = prev {
            caret += sf.kern(p, id);
        }
        let glyph = id.with_scale_and_position(sf.scale(), ab_glyph::point(caret, sf.ascent()));
        caret += sf.h_advance(id);
        prev = Some(id);
        let Some(outline) = sf.outline_glyph(glyph) else { continue };
        let b = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            if coverage <= 0.0 || result.is_err() {
                return;
            }
            let (tx, ty) = (b.min.x + gx as f32, b.min.y + gy as f32);
            let (sx, sy) = if rotated { (left + ty, top + w - tx) } else { (left + tx, top + ty) };
            result = area.draw_pixel((sx as i32, sy as i32), &color.mix(coverage.min(1.0) as f64));
        });
        if result.is_err() {
            break;
        }
    }
    result
}

/// Legend entries wrapped into rows that fit `width`: each row a list of (name, width in px).
fn legend_layout(font: &FontRef<'static>, names: &[String], width: u32) -> Vec<Vec<(String, u32)>> {
    let mut rows: Vec<Vec<(String, u32)>> = vec![Vec::new()];
    let mut used = 0u32;
    for n in names {
        let w = 46 + text_width(font, LEGEND_SIZE, n).ceil() as u32 + 28;
        if used + w > width.saturating_sub(40) && !rows.last().unwrap().is_empty() {
            rows.push(Vec::new());
            used = 0;
        }
        used += w;
        rows.last_mut().unwrap().push((n.clone(), w));
    }
    rows
}

type DrawResult<T> =
    std::result::Result<T, DrawingAreaErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>>;

/// Title and a centred legend of all models (shared by the panels).
fn draw_header(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    font: &FontRef<'static>,
    fig: &Figure,
    names: &[String],
    width: u32,
) -> DrawResult<()> {
    // 25 px, smaller if the title would not fit (a long data set name on a one-panel figure).
    let size = (25.0 * (width as f32 - 30.0) / text_width(font, 25.0, &fig.title).max(1.0)).min(25.0);
    draw_text(area, font, &fig.title, size, TEXT, (width as i32 / 2, TITLE_H as i32 / 2 + 3), (0.5, 0.5), false)?;
    for (i, row) in legend_layout(font, names, width).iter().enumerate() {
        let total: u32 = row.iter().map(|e| e.1).sum();
        let mut x = (width.saturating_sub(total) / 2) as i32;
        let y = (TITLE_H + i as u32 * LEGEND_ROW_H + LEGEND_ROW_H / 2) as i32;
        for (name, w) in row {
            let c = color_of(names, name);
            area.draw(&Rectangle::new([(x, y - 7), (x + 36, y + 7)], c.mix(0.2).filled()))?;
            area.draw(&PathElement::new(vec![(x, y), (x + 36, y)], c.stroke_width(3)))?;
            area.draw(&Circle::new((x + 18, y), 4, c.filled()))?;
            draw_text(area, font, name, LEGEND_SIZE, TEXT, (x + 46, y), (0.0, 0.5), false)?;
            x += *w as i32;
        }
    }
    Ok(())
}

fn tick(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') { "0".into() } else { s }
}

fn draw_panel(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    font: Option<&FontRef<'static>>,
    fig: &Figure,
    panel: &Panel,
    names: &[String],
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> DrawResult<()> {
    let mut builder = ChartBuilder::on(area);
    builder.margin(14).margin_right(24);
    if font.is_some() {
        builder.margin_top(if panel.caption.is_empty() { 14 } else { 44 });
        builder.x_label_area_size(56).y_label_area_size(66);
    }
    let mut chart = builder.build_cartesian_2d(x.clone(), y.clone())?;
    let (x_ticks, x_labels): (Vec<f64>, Vec<String>) = if fig.x_categories.is_empty() {
        let (t, d) = nice_ticks(x.start.max(0.0), x.end, 8);
        let labels = t.iter().map(|v| tick(*v, d)).collect();
        (t, labels)
    } else {
        ((0..fig.x_categories.len()).map(|i| i as f64).collect(), fig.x_categories.clone())
    };
    let (y_ticks, y_dec) = nice_ticks(y.start, y.end, 8);
    let grid = GRID.stroke_width(1);
    for &t in &x_ticks {
        chart.draw_series(std::iter::once(PathElement::new(vec![(t, y.start), (t, y.end)], grid)))?;
    }
    for &t in &y_ticks {
        chart.draw_series(std::iter::once(PathElement::new(vec![(x.start, t), (x.end, t)], grid)))?;
    }
    for s in &panel.series {
        let c = color_of(names, &s.model);
        if s.points.iter().any(|p| p.2 > 0.0) {
            let mut band: Vec<(f64, f64)> = s.points.iter().map(|p| (p.0, p.1 + p.2)).collect();
            band.extend(s.points.iter().rev().map(|p| (p.0, p.1 - p.2)));
            chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.18).filled())))?;
        }
    }
    for s in &panel.series {
        let c = color_of(names, &s.model);
        chart.draw_series(LineSeries::new(s.points.iter().map(|p| (p.0, p.1)), c.stroke_width(3)))?;
        chart.draw_series(s.points.iter().map(|p| Circle::new((p.0, p.1), 5, c.filled())))?;
    }
    // Axes and tick marks, in screen coordinates.
    let screen = area.use_screen_coord();
    let (px, py) = chart.plotting_area().get_pixel_range();
    let (x0, x1, y0, y1) = (px.start, px.end - 1, py.start, py.end - 1);
    screen.draw(&PathElement::new(vec![(x0, y0), (x0, y1), (x1, y1)], AXIS.stroke_width(1)))?;
    let x_pix: Vec<i32> = x_ticks.iter().map(|&t| chart.backend_coord(&(t, y.start)).0).collect();
    let y_pix: Vec<i32> = y_ticks.iter().map(|&t| chart.backend_coord(&(x.start, t)).1).collect();
    for &sx in &x_pix {
        screen.draw(&PathElement::new(vec![(sx, y1), (sx, y1 + 5)], AXIS.stroke_width(1)))?;
    }
    for &sy in &y_pix {
        screen.draw(&PathElement::new(vec![(x0 - 5, sy), (x0, sy)], AXIS.stroke_width(1)))?;
    }
    let Some(f) = font else { return Ok(()) };
    let (ax, _) = area.get_base_pixel();
    let mid_x = (x0 + x1) / 2;
    if !panel.caption.is_empty() {
        draw_text(&screen, f, &panel.caption, 19.0, TEXT, (mid_x, y0 - 12), (0.5, 1.0), false)?;
    }
    for (sx, label) in x_pix.iter().zip(&x_labels) {
        draw_text(&screen, f, label, 15.0, TEXT, (*sx, y1 + 8), (0.5, 0.0), false)?;
    }
    for (sy, t) in y_pix.iter().zip(&y_ticks) {
        draw_text(&screen, f, &tick(*t, y_dec), 15.0, TEXT, (x0 - 8, *sy), (1.0, 0.5), false)?;
    }
    draw_text(&screen, f, &fig.x_desc, 17.0, TEXT, (mid_x, y1 + 32), (0.5, 0.0), false)?;
    draw_text(&screen, f, "accuracy (%)", 17.0, TEXT, (ax + 14, (y0 + y1) / 2), (0.0, 0.5), true)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Row> {
        let mut out = Vec::new();
        for (model, base) in [("cnn", 0.8), ("snan-cnn", 0.85), ("cnn+median", 0.75)] {
            for shots in [1usize, 5] {
                for seed in [0u64, 1, 2] {
                    let conds = [
                        ("none", "0", 0.0),
                        ("impulse", "0.1", 0.1),
                        ("impulse", "0.3", 0.3),
                        ("occlusion", "0.4", 0.4),
                    ];
                    for (corruption, level, drop) in conds {
                        out.push(Row {
                            dataset: "bars".into(),
                            model: model.into(),
                            shots,
                            seed,
                            corruption: corruption.into(),
                            level: level.into(),
                            accuracy: (base - drop + 0.02 * seed as f64 + 0.03 * shots as f64).min(1.0),
                            test_n: 10,
                            seconds: 0.1,
                        });
                    }
                }
            }
        }
        out
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("snan-plots-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn check(files: &[PathBuf], dir: &Path) {
        let expect = ["accuracy_vs_impulse.png", "accuracy_vs_occlusion.png", "accuracy_vs_k.png"];
        assert_eq!(files, expect.iter().map(|f| dir.join(f)).collect::<Vec<_>>());
        for f in files {
            let img = image::open(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())).to_rgb8();
            assert!(img.width() >= 600 && img.height() >= 400);
            let white = img.pixels().filter(|p| p.0 == [255, 255, 255]).count();
            let colored = img.pixels().filter(|p| p.0 == [31, 119, 180]).count();
            assert!(white < img.pixels().len(), "{} is blank", f.display());
            assert!(colored > 100, "{} has no line of the first model ({colored} px)", f.display());
        }
    }

    #[test]
    fn plots_are_written_and_not_blank() {
        let dir = tmp("text");
        let files = write_plots(&rows(), &dir).unwrap();
        check(&files, &dir);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn plots_without_a_font_are_still_drawn() {
        let dir = tmp("notext");
        let files = write_plots_with(&rows(), &dir, None).unwrap();
        check(&files, &dir);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_single_x_value_writes_no_plot() {
        let dir = tmp("single");
        let r: Vec<Row> = rows().into_iter().filter(|r| r.shots == 5 && r.corruption == "none").collect();
        assert!(write_plots(&r, &dir).unwrap().is_empty());
        assert!(write_plots(&[], &dir).unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn aggregation_gives_mean_and_sd() {
        let a = aggregate(vec![(0.3, 0.5), (0.0, 0.9), (0.3, 0.7), (0.0, 0.9)]);
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].0, a[0].1, a[0].2), (0.0, 90.0, 0.0));
        assert!((a[1].1 - 60.0).abs() < 1e-9 && (a[1].2 - 14.142_135_6).abs() < 1e-6);
        assert_eq!(tick(0.30000001, 1), "0.3");
        assert_eq!(tick(-0.0, 2), "0");
        assert_eq!(tick(5.0, 0), "5");
        let (t, d) = nice_ticks(-0.016, 0.416, 8);
        assert_eq!(d, 1);
        assert_eq!(t.iter().map(|v| tick(*v, d)).collect::<Vec<_>>(), ["0", "0.1", "0.2", "0.3", "0.4"]);
        let (t, d) = nice_ticks(8.5, 41.5, 8);
        assert_eq!((t, d), (vec![10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0], 0));
    }
}
