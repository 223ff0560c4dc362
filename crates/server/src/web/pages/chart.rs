//! Small line charts drawn as SVG by the server: no script, no CDN, readable on a phone. The
//! dashboard needs a few series over 14 days; a plotting library would bring fonts to measure text
//! that the browser lays out anyway.

/// Escapes text for an SVG element.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub struct Series<'a> {
    pub label: &'a str,
    pub color: &'a str,
    pub values: Vec<i64>,
}

/// A line chart 340×170: one polyline per series, the largest value on the axis, the first and
/// last day below, a legend on top.
pub fn line_chart(title: &str, days: &[String], series: &[Series<'_>]) -> String {
    const W: f64 = 340.0;
    const H: f64 = 170.0;
    const LEFT: f64 = 34.0;
    const TOP: f64 = 34.0;
    const BOTTOM: f64 = 24.0;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let n = days.len().max(2) - 1;
    let x = |i: usize| LEFT + (W - LEFT - 8.0) * i as f64 / n as f64;
    let y = |v: i64| TOP + (H - TOP - BOTTOM) * (1.0 - v as f64 / max as f64);
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{t}\" xmlns=\"http://www.w3.org/2000/svg\">\
         <text x=\"4\" y=\"14\" font-size=\"12\" font-weight=\"bold\">{t}</text>\
         <line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{b}\" stroke=\"#bbb\"/>\
         <line x1=\"{LEFT}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#bbb\"/>\
         <text x=\"{lx}\" y=\"{ty}\" font-size=\"10\" text-anchor=\"end\">{max}</text>\
         <text x=\"{lx}\" y=\"{b}\" font-size=\"10\" text-anchor=\"end\">0</text>",
        t = esc(title),
        b = H - BOTTOM,
        r = W - 8.0,
        lx = LEFT - 4.0,
        ty = TOP + 4.0,
    );
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        svg.push_str(&format!(
            "<text x=\"{LEFT}\" y=\"{yb}\" font-size=\"10\">{}</text>\
             <text x=\"{r}\" y=\"{yb}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
            esc(first.get(5..).unwrap_or(first)),
            esc(last.get(5..).unwrap_or(last)),
            yb = H - 8.0,
            r = W - 8.0,
        ));
    }
    let mut legend_x = 110.0;
    for s in series {
        let points: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        svg.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" points=\"{p}\"/>\
             <rect x=\"{legend_x}\" y=\"6\" width=\"10\" height=\"10\" fill=\"{c}\"/>\
             <text x=\"{lt}\" y=\"15\" font-size=\"11\">{l} {last}</text>",
            c = esc(s.color),
            p = points.join(" "),
            lt = legend_x + 13.0,
            l = esc(s.label),
            last = s.values.last().copied().unwrap_or(0),
        ));
        legend_x += 78.0;
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_each_series_and_escapes_labels() {
        let days: Vec<String> = (1..=14).map(|d| format!("2020-02-{d:02}")).collect();
        let svg = line_chart(
            "发热 <14天>",
            &days,
            &[Series {
                label: "a&b",
                color: "#b3261e",
                values: (0..14).collect(),
            }],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("&lt;14天&gt;") && svg.contains("a&amp;b 13"));
        assert_eq!(svg.matches("<polyline").count(), 1);
        // The largest value at the top of the plot, zero at the bottom.
        assert!(svg.contains(">13</text>") && svg.contains("34.0,146.0"));
    }
}
