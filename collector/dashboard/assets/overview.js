// @ts-check
/**
 * The Overview's one script: draws the match-key coverage chart with uPlot (served beside it) from
 * the data the page carries in data-series. The table under the chart holds the same numbers, so
 * the page reads the same without script.
 */
/** @typedef {{ days: number[], series: Array<{ key: string, values: Array<number | null> }> }} CoverageData */

/** @type {Record<string, string>} */
const COLOURS = {
  email: '#0b57d0',
  phone: '#8e24aa',
  external_id: '#13795b',
  ttclid: '#d93025',
  ttp: '#e37400',
  ip: '#5b6470',
  user_agent: '#1b1f24',
}

/** "11-23" for the day at index `i` of the chart, nothing between days. */
function dayLabel(/** @type {string[]} */ days, /** @type {number} */ i) {
  return Number.isInteger(i) && days[i] ? days[i].slice(5) : ''
}

/** @param {HTMLElement} element */
function drawCoverage(element) {
  /** @type {CoverageData} */
  const data = JSON.parse(element.dataset.series || '{"days":[],"series":[]}')
  /** @type {typeof import('uplot')} */
  const UPlot = /** @type {any} */ (window).uPlot
  // The x axis counts days (0, 1, 2 …) and is labelled with their UTC dates: no time zone to convert.
  const days = data.days.map((seconds) => new Date(seconds * 1000).toISOString().slice(0, 10))
  const size = () => ({ width: Math.max(240, element.clientWidth), height: 240 })
  const chart = new UPlot(
    {
      ...size(),
      scales: { x: { time: false, range: () => [-0.5, days.length - 0.5] }, y: { range: [0, 100] } },
      axes: [
        { incrs: [1, 2, 7], values: (/** @type {unknown} */ _u, /** @type {number[]} */ ticks) => ticks.map((i) => dayLabel(days, i)) },
        { values: (/** @type {unknown} */ _u, /** @type {number[]} */ ticks) => ticks.map((t) => `${t} %`) },
      ],
      series: [
        { label: 'Day', value: (/** @type {unknown} */ _u, /** @type {number | null} */ i) => (i === null ? '–' : days[i] || '–') },
        ...data.series.map((s) => ({
          label: s.key,
          stroke: COLOURS[s.key] || '#000',
          width: 2,
          points: { show: true, size: 6 },
          value: (/** @type {unknown} */ _u, /** @type {number | null} */ v) => (v === null ? '–' : `${v} %`),
        })),
      ],
    },
    [days.map((_day, i) => i), ...data.series.map((s) => s.values)],
    element,
  )
  window.addEventListener('resize', () => chart.setSize(size()))
}

for (const element of document.querySelectorAll('[data-chart="coverage"]')) {
  if (element instanceof HTMLElement) drawCoverage(element)
}
