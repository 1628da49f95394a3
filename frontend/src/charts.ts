// Apache ECharts, tree-shaken: only the charts and components the pages use. Each chart is set
// up once; later updates pass data only (STYLE.md habit 14).

import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { SERIES } from './palette';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, MarkLineComponent, SVGRenderer]);

export type Chart = echarts.ECharts;
export type ChartOption = echarts.EChartsCoreOption;

export function makeChart(el: HTMLElement, option: ChartOption, dark = false): Chart {
  const chart = echarts.init(el, dark ? 'dark' : undefined, { renderer: 'svg' });
  chart.setOption({ color: SERIES, animationDuration: 300, ...option });
  if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => chart.resize()).observe(el);
  return chart;
}
