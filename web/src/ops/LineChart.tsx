import { useId } from 'react';
import { useTr } from '../i18n/I18nProvider.js';
import { axisMax, polylinePoints, summarize, valueToY, type Sample } from './series.js';

const WIDTH = 320;
const HEIGHT = 100;

/** A small line chart as inline SVG; the numbers are also given as text for screen readers. */
export function LineChart({ title, series, format, tone }: { title: string; series: readonly Sample[]; format(value: number): string; tone: 'blue' | 'red' }) {
  const tr = useTr();
  const titleId = useId();
  const summary = summarize(series);
  const top = axisMax(series);
  const description = summary
    ? tr.t('ops.chartSummary', { title, last: format(summary.last), min: format(summary.min), max: format(summary.max), count: series.length })
    : tr.t('ops.chartEmpty', { title });
  return (
    <figure className={`chart chart-${tone}`}>
      <figcaption id={titleId} className="chart-title">
        <span>{title}</span>
        <span className="chart-last">{summary ? format(summary.last) : '—'}</span>
      </figcaption>
      <div className="chart-body">
        <div className="chart-axis" aria-hidden="true">
          <span>{format(top)}</span>
          <span>{format(0)}</span>
        </div>
        <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-labelledby={titleId} aria-describedby={`${titleId}-desc`}>
          <desc id={`${titleId}-desc`}>{description}</desc>
          <line className="chart-grid" x1={0} y1={HEIGHT / 2} x2={WIDTH} y2={HEIGHT / 2} vectorEffect="non-scaling-stroke" />
          <line className="chart-grid" x1={0} y1={HEIGHT} x2={WIDTH} y2={HEIGHT} vectorEffect="non-scaling-stroke" />
          {series.length > 1 && <polyline className="chart-line" points={polylinePoints(series, WIDTH, HEIGHT, top)} vectorEffect="non-scaling-stroke" />}
          {series.length === 1 && (
            <line
              className="chart-line"
              x1={0}
              x2={WIDTH}
              y1={valueToY(series[0].value, HEIGHT, top)}
              y2={valueToY(series[0].value, HEIGHT, top)}
              vectorEffect="non-scaling-stroke"
            />
          )}
        </svg>
      </div>
    </figure>
  );
}
