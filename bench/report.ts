// The benchmark report: one row per figure (Facet, its baseline, the ratio, the target, the load average), and
// SVG charts, written to bench/results/ by `npm run bench`. No chart library: a few lines of SVG each.

/** One figure of the report. */
export interface Figure {
	id: string;
	measure: string;
	facet: number;
	baseline: number | null;
	unit: string;
	/** facet ÷ baseline, or what the target is stated in. */
	ratio: number | null;
	/** The target as written, e.g. "≥ 0.9"; `met` says whether it holds. */
	target: string | null;
	met: boolean | null;
	load: number;
}

export interface Series {
	name: string;
	points: [number, number][];
}

const COLORS = ['#5865f2', '#57a773', '#eb459e', '#f0b232'];
const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const nice = (value: number) => (Math.abs(value) >= 100 ? Math.round(value).toString() : Number(value.toPrecision(3)).toString());

/** A line chart of several series over a shared x axis. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[]): string {
	const width = 640;
	const height = 320;
	const pad = { left: 64, right: 150, top: 36, bottom: 44 };
	const xs = series.flatMap((s) => s.points.map((p) => p[0]));
	const ys = series.flatMap((s) => s.points.map((p) => p[1]));
	const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
	const yMax = Math.max(...ys) * 1.1 || 1;
	const x = (v: number) => pad.left + ((v - xMin) / (xMax - xMin || 1)) * (width - pad.left - pad.right);
	const y = (v: number) => height - pad.bottom - (v / yMax) * (height - pad.top - pad.bottom);
	const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => t * yMax);
	const parts = [
		`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
		`<rect width="${width}" height="${height}" fill="#fff"/>`,
		`<text x="${pad.left}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
		...ticks.map(
			(t) =>
				`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${pad.left - 6}" y="${y(t) + 4}" text-anchor="end">${nice(t)}</text>`
		),
		...[...new Set(xs)].map((v) => `<text x="${x(v)}" y="${height - pad.bottom + 16}" text-anchor="middle">${nice(v)}</text>`),
		`<text x="${(pad.left + width - pad.right) / 2}" y="${height - 8}" text-anchor="middle">${esc(xLabel)}</text>`,
		`<text transform="translate(14 ${height / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`
	];
	series.forEach((s, i) => {
		const color = COLORS[i % COLORS.length]!;
		parts.push(
			`<polyline fill="none" stroke="${color}" stroke-width="2" points="${s.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ')}"/>`,
			...s.points.map(([px, py]) => `<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="3" fill="${color}"/>`),
			`<rect x="${width - pad.right + 12}" y="${pad.top + i * 20}" width="12" height="12" fill="${color}"/><text x="${width - pad.right + 30}" y="${pad.top + i * 20 + 10}">${esc(s.name)}</text>`
		);
	});
	parts.push('</svg>');
	return `${parts.join('\n')}\n`;
}

/** Grouped bars: one group per category, one bar per series. */
export function barChart(title: string, yLabel: string, categories: string[], series: { name: string; values: number[] }[]): string {
	const width = 640;
	const height = 320;
	const pad = { left: 64, right: 150, top: 36, bottom: 44 };
	const yMax = Math.max(...series.flatMap((s) => s.values)) * 1.1 || 1;
	const groupWidth = (width - pad.left - pad.right) / categories.length;
	const barWidth = (groupWidth * 0.7) / series.length;
	const y = (v: number) => height - pad.bottom - (v / yMax) * (height - pad.top - pad.bottom);
	const parts = [
		`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
		`<rect width="${width}" height="${height}" fill="#fff"/>`,
		`<text x="${pad.left}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
		`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(0)}" y2="${y(0)}" stroke="#999"/>`,
		`<text transform="translate(14 ${height / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`
	];
	categories.forEach((category, c) => {
		const left = pad.left + c * groupWidth + groupWidth * 0.15;
		parts.push(
			`<text x="${left + (barWidth * series.length) / 2}" y="${height - pad.bottom + 16}" text-anchor="middle">${esc(category)}</text>`
		);
		series.forEach((s, i) => {
			const value = s.values[c] ?? 0;
			const bx = left + i * barWidth;
			parts.push(
				`<rect x="${bx.toFixed(1)}" y="${y(value).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(y(0) - y(value)).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"/>`,
				`<text x="${(bx + barWidth / 2).toFixed(1)}" y="${(y(value) - 4).toFixed(1)}" text-anchor="middle" font-size="10">${nice(value)}</text>`
			);
		});
	});
	for (const [i, s] of series.entries()) {
		parts.push(
			`<rect x="${width - pad.right + 12}" y="${pad.top + i * 20}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${width - pad.right + 30}" y="${pad.top + i * 20 + 10}">${esc(s.name)}</text>`
		);
	}
	parts.push('</svg>');
	return `${parts.join('\n')}\n`;
}

/** The Markdown report: the figures table, then the charts. */
export function markdown(figures: Figure[], charts: { file: string; caption: string }[], context: Record<string, string>): string {
	const cell = (value: number | null, unit = '') => (value === null ? '—' : `${nice(value)}${unit ? ` ${unit}` : ''}`);
	const rows = figures.map(
		(f) =>
			`| ${f.id} | ${f.measure} | ${cell(f.facet, f.unit)} | ${cell(f.baseline, f.unit)} | ${cell(f.ratio)} | ${f.target ?? '—'} | ${f.met === null ? '—' : f.met ? 'met' : '**missed**'} | ${f.load} |`
	);
	return [
		'# Benchmark report',
		'',
		...Object.entries(context).map(([key, value]) => `- ${key}: ${value}`),
		'',
		'| id | measure | Facet | baseline | ratio | target | | load |',
		'| --- | --- | ---: | ---: | ---: | --- | --- | ---: |',
		...rows,
		'',
		...charts.flatMap((chart) => [`![${chart.caption}](${chart.file})`, '']),
		'How to read this: docs/benchmarks.md.',
		''
	].join('\n');
}
