/**
 * The dashboard's cards and tables, drawn with DOM calls and textContent only: customer names
 * come from Kafka records, so nothing from the data is ever parsed as HTML. Browser module.
 */
import { formatClock, formatCount, formatDuration, formatWindow } from './format.js';

/** @typedef {import('../status-snapshot.ts').StatusSnapshot} StatusSnapshot */
/** @typedef {import('../dashboard-history.ts').LatestWindow} LatestWindow */

/**
 * @typedef {object} Card
 * @property {string} label
 * @property {string} value
 * @property {string} [note] a smaller line under the value
 * @property {boolean} [alert] drawn in red (bad records, lag)
 */

/**
 * The headline figures.
 * @param {StatusSnapshot} status
 * @param {{ inputRate: number, outputRate: number }} rates per second, from the latest sample
 * @returns {Card[]}
 */
export function headlineCards(status, rates) {
  const { consumer, producer } = status;
  const watermarkBehind = consumer.watermark === null ? null : status.now - consumer.watermark;
  /** @type {Card[]} */
  const cards = [
    { label: 'input', value: `${formatCount(rates.inputRate)}/s`, note: `${formatCount(consumer.consumed)} consumed` },
    { label: 'consumer lag', value: formatCount(consumer.lag), note: `${consumer.partitions.length} partitions`, alert: consumer.lag > 0 && rates.inputRate === 0 },
    { label: 'watermark', value: formatClock(consumer.watermark), note: watermarkBehind === null ? 'no records yet' : `${formatDuration(watermarkBehind)} behind wall clock` },
    { label: 'windows emitted', value: formatCount(consumer.windowsEmitted), note: `${formatCount(consumer.rowsWritten)} rows written` },
    { label: 'emit delay', value: formatDuration(consumer.lastEmitDelayMs), note: 'last window write' },
    { label: 'open windows', value: formatCount(consumer.openWindows), note: `${formatCount(consumer.keys)} keys held` },
    { label: 'invalid', value: formatCount(consumer.invalid), alert: consumer.invalid > 0, note: topReason(consumer.invalidByReason) },
    { label: 'late', value: formatCount(consumer.late), alert: consumer.late > 0, note: `${formatCount(consumer.replayed)} replayed` },
    { label: 'dead-lettered', value: formatCount(consumer.deadLettered), alert: consumer.deadLettered > 0 },
  ];
  // The producer runs in this process only for `run`: show it once it has done something.
  if (producer.produced > 0) {
    cards.splice(1, 0, { label: 'produced', value: `${formatCount(rates.outputRate)}/s`, note: `${formatCount(producer.acknowledged)} acknowledged` });
  }
  return cards;
}

/**
 * @param {HTMLElement} container
 * @param {Card[]} cards
 */
export function renderCards(container, cards) {
  container.replaceChildren(
    ...cards.map((card) => {
      const box = element('div', card.alert ? 'card alert' : 'card');
      box.append(element('span', 'label', card.label), element('b', 'value', card.value));
      if (card.note) box.append(element('span', 'note', card.note));
      return box;
    }),
  );
}

/**
 * Replaces a table body's rows; each cell is text.
 * @param {HTMLTableSectionElement} body
 * @param {string[][]} rows
 * @param {string} emptyText shown across the table when there are no rows
 */
export function renderRows(body, rows, emptyText) {
  const columns = body.parentElement?.querySelectorAll('th').length ?? 1;
  if (rows.length === 0) {
    const cell = element('td', 'empty', emptyText);
    cell.colSpan = columns;
    const row = element('tr');
    row.append(cell);
    body.replaceChildren(row);
    return;
  }
  body.replaceChildren(
    ...rows.map((cells) => {
      const row = element('tr');
      row.append(...cells.map((text) => element('td', '', text)));
      return row;
    }),
  );
}

/**
 * The latest closed window's customers, with a bar for their share of the biggest total.
 * @param {HTMLTableSectionElement} body
 * @param {HTMLElement} caption
 * @param {LatestWindow | null} latest
 * @param {number} threshold
 */
export function renderCustomers(body, caption, latest, threshold) {
  if (latest === null) {
    caption.textContent = 'no window has closed yet';
    renderRows(body, [], 'waiting for the first window to close');
    return;
  }
  const shown = latest.rows.length < latest.rowCount ? `, the biggest ${latest.rows.length} shown` : '';
  const customers = latest.rowCount === 1 ? 'customer' : 'customers';
  caption.textContent = `window ${formatWindow(latest.start, latest.end)} UTC: ${formatCount(latest.rowCount)} ${customers} at or over ${formatCount(threshold)}${shown}`;
  renderRows(
    body,
    latest.rows.map((row, index) => [String(index + 1), row.key, formatCount(row.total), formatCount(row.count), '']),
    'no customer reached the threshold in this window',
  );
  const biggest = latest.rows[0]?.total ?? 0;
  body.querySelectorAll('tr').forEach((row, index) => {
    const total = latest.rows[index]?.total;
    const cell = row.lastElementChild;
    if (total === undefined || !(cell instanceof HTMLElement)) return;
    const bar = element('span', 'bar');
    // CSSOM, not a style attribute: the page's content security policy allows only this.
    bar.style.width = `${biggest > 0 ? Math.round((100 * total) / biggest) : 0}%`;
    cell.append(bar);
  });
}

/**
 * @param {Record<string, number>} byReason
 * @returns {string | undefined}
 */
function topReason(byReason) {
  const [reason, count] = Object.entries(byReason).sort((a, b) => b[1] - a[1])[0] ?? [];
  return reason === undefined ? undefined : `mostly ${reason} (${formatCount(count)})`;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
