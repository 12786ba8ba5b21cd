// prom-client metrics whose series are rendered at each scrape from a compact source instead of
// being stored: prom-client keeps a labels object, a hash string and a value object per series,
// which for per-object series costs more than the objects' own cache.
import { Counter, Gauge, type CounterConfiguration, type GaugeConfiguration } from 'prom-client';

export type SeriesValue<T extends string> = Awaited<ReturnType<Gauge<T>['get']>>['values'][number];

/** Where a rendered metric's series come from. */
export interface SeriesSource<T extends string> {
  /** The series as of now; built at each scrape and not kept. */
  values(): SeriesValue<T>[];
  /** Drops every series (the metric's reset()). */
  clear(): void;
}

/** A Gauge that reports, besides any series set on it, those of `source`. */
export class RenderedGauge<T extends string> extends Gauge<T> {
  constructor(
    config: GaugeConfiguration<T>,
    private readonly source: SeriesSource<T>,
  ) {
    super(config);
  }

  override async get(): ReturnType<Gauge<T>['get']> {
    const own = await super.get();
    return { ...own, values: own.values.concat(this.source.values()) };
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor calls reset() before `source` is set.
    (this.source as SeriesSource<T> | undefined)?.clear();
  }
}

/** A Counter that reports, besides any series counted on it, those of `source`. */
export class RenderedCounter<T extends string> extends Counter<T> {
  constructor(
    config: CounterConfiguration<T>,
    private readonly source: SeriesSource<T>,
  ) {
    super(config);
  }

  override async get(): ReturnType<Counter<T>['get']> {
    const own = await super.get();
    return { ...own, values: own.values.concat(this.source.values()) };
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor calls reset() before `source` is set.
    (this.source as SeriesSource<T> | undefined)?.clear();
  }
}
