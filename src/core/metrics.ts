import { Counter, collectDefaultMetrics, Gauge, Histogram, register } from 'prom-client';

// Process memory, CPU, event loop lag and handles, once per process, on every role.
let defaultsCollected = false;
/** Starts prom-client's process metrics (`facet_process_resident_memory_bytes`, heap, event loop lag) once. */
export function collectProcessMetrics(): void {
	if (defaultsCollected) return;
	defaultsCollected = true;
	collectDefaultMetrics({ prefix: 'facet_' });
}

type Labels<T extends string> = { labelNames?: readonly T[] };

/**
 * The one registry of Prometheus metrics every role serves on `/metrics`. Plugins register theirs here (the core
 * names no plugin): a metric is created once per process and found again by name, so a piece that is reloaded
 * (HMR) or a service made twice in a test process gets the same series instead of a "already registered" error.
 */
export const metrics = {
	counter<T extends string = never>(name: string, help: string, options: Labels<T> = {}): Counter<T> {
		return (register.getSingleMetric(name) as Counter<T> | undefined) ?? new Counter({ name, help, labelNames: options.labelNames ?? [] });
	},
	gauge<T extends string = never>(
		name: string,
		help: string,
		options: Labels<T> & { collect?: (this: Gauge<T>) => void | Promise<void> } = {}
	): Gauge<T> {
		return (
			(register.getSingleMetric(name) as Gauge<T> | undefined) ??
			new Gauge({ name, help, labelNames: options.labelNames ?? [], ...(options.collect ? { collect: options.collect } : {}) })
		);
	},
	histogram<T extends string = never>(name: string, help: string, options: Labels<T> & { buckets?: number[] } = {}): Histogram<T> {
		return (
			(register.getSingleMetric(name) as Histogram<T> | undefined) ??
			new Histogram({ name, help, labelNames: options.labelNames ?? [], ...(options.buckets ? { buckets: options.buckets } : {}) })
		);
	},
	/** The exposition text and its content type. */
	async render(): Promise<{ contentType: string; body: string }> {
		return { contentType: register.contentType, body: await register.metrics() };
	}
};

/** The core registry's type, as plugins see it on `container.metrics`. */
export type MetricsRegistry = typeof metrics;
