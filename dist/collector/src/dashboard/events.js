import { z } from 'zod';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../clock.js';
import { describeZodError } from '../errors.js';
import { age, DEFAULT_REPLAY_LIMIT, REPLAY_WINDOW_MS, scrubbedError, WHY_REFUSED } from '../replay.js';
import { ENDED_STATUSES, EVENT_STATUSES } from '../store/store.js';
import { orderAddress, when } from './orders.js';
import { sendPage } from './render.js';
/** A status a replay takes. */
const isEnded = (status) => ENDED_STATUSES.includes(status);
/** The list's word for what is still in the queue. */
const WAITING = ['pending', 'sending'];
/** Events per page of the list. */
export const EVENTS_PER_PAGE = 50;
/** Events the preview lists; it counts and checks all that the replay would take. */
export const PREVIEW_ROWS = 100;
// Reading the forms and addresses.
/** An empty form field is a field left out. */
const absentIfBlank = (value) => (value === '' ? undefined : value);
const optional = (schema) => z.preprocess(absentIfBlank, schema.optional());
/** Statuses from checkboxes (the field repeated) or a comma-separated list. */
function statusList(allowed) {
    const words = allowed.includes('pending') ? [...allowed, 'waiting'] : [...allowed];
    return z
        .union([z.string(), z.array(z.string())])
        .transform((value, ctx) => {
        const given = [value].flat().flatMap((text) => text.split(',')).map((word) => word.trim()).filter(Boolean);
        const unknown = given.find((word) => !words.includes(word));
        if (unknown !== undefined || !given.length) {
            ctx.addIssue({ code: 'custom', message: `${unknown === undefined ? 'empty' : `“${unknown.slice(0, 40)}” is not one`}: choose among ${words.join(', ')}` });
            return z.NEVER;
        }
        return [...new Set(given.flatMap((word) => (word === 'waiting' ? WAITING : [word])))];
    });
}
const TIME_FORMAT = 'a date (2026-06-14) or a date and time (2026-06-14T09:30), in UTC';
const UTC_TIME = /^(\d{4}-\d\d-\d\d)(?:[T ](\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?)(Z|[+-]\d\d:\d\d)?)?$/;
/** A time typed into a filter, UTC unless it names its offset; a date alone as `to` ends with that day. */
function readTime(text, edge) {
    const match = UTC_TIME.exec(text);
    if (!match)
        return undefined;
    const [, day, time, offset] = match;
    const ms = Date.parse(`${day}T${time ?? '00:00'}${offset ?? 'Z'}`);
    // Date.parse reads 2026-02-30 as 2 March: a day that does not exist is refused instead.
    if (Number.isNaN(ms) || new Date(`${day}T00:00Z`).toISOString().slice(0, 10) !== day)
        return undefined;
    return time === undefined && edge === 'to' ? ms + DAY_MS : ms;
}
function timeField(edge) {
    return z.string({ error: `choose when the range ${edge === 'from' ? 'starts' : 'ends'}: ${TIME_FORMAT}` }).transform((text, ctx) => {
        const ms = readTime(text.trim(), edge);
        if (ms === undefined) {
            ctx.addIssue({ code: 'custom', message: `must be ${TIME_FORMAT}` });
            return z.NEVER;
        }
        return ms;
    });
}
/** A time as the forms and addresses write it (a datetime-local field's value): UTC, to the minute, or finer when it has seconds. */
function timeText(ms) {
    const iso = new Date(ms).toISOString();
    if (iso.endsWith(':00.000Z'))
        return iso.slice(0, 16);
    return iso.endsWith('.000Z') ? iso.slice(0, 19) : iso.slice(0, 23);
}
const rowId = z.coerce.number({ error: 'must be an event row id' }).int('must be an event row id').positive('must be an event row id');
const count = z.coerce.number({ error: 'must be a count' }).int('must be a count').nonnegative('must be a count');
const inOrder = (range) => range.from === undefined || range.to === undefined || range.from < range.to;
const RANGE_IN_ORDER = { message: 'from must come before to: nothing is accepted in that range' };
const listQuery = z
    .object({ status: optional(statusList(EVENT_STATUSES)), from: optional(timeField('from')), to: optional(timeField('to')), before: optional(rowId) })
    .refine(inOrder, RANGE_IN_ORDER);
const replayFields = {
    status: z.preprocess(absentIfBlank, statusList(ENDED_STATUSES).default(['failed'])),
    from: z.preprocess(absentIfBlank, timeField('from')),
    to: z.preprocess(absentIfBlank, timeField('to')),
    after: optional(rowId),
};
/** The preview's address; after a replay it also says what went (see doneAddress). */
const replayQuery = z.object({ ...replayFields, replayed: optional(count), remaining: optional(count), forced: optional(z.literal('1')) }).refine(inOrder, RANGE_IN_ORDER);
const replayForm = z
    .object({
    ...replayFields,
    force: z.preprocess((value) => value === 'on', z.boolean()),
    note: optional(z.string().trim().max(500, 'must be at most 500 characters')),
})
    .refine(inOrder, RANGE_IN_ORDER);
const choiceOf = (fields) => ({ statuses: fields.status, from: fields.from, to: fields.to, after: fields.after });
/** The filter's fields as they were sent, to show them again beside the reason they were refused. */
function fieldsAsSent(source) {
    const fields = (source ?? {});
    const text = (value) => (typeof value === 'string' ? value : '');
    const statuses = [fields.status].flat().filter((value) => typeof value === 'string').flatMap((value) => value.split(','));
    return { statuses, from: text(fields.from), to: text(fields.to) };
}
/** A filter's part of an address, in the form's own field names. */
function filterParams(filter) {
    const params = new URLSearchParams();
    if (filter.statuses?.length)
        params.set('status', filter.statuses.join(','));
    if (filter.from !== undefined)
        params.set('from', timeText(filter.from));
    if (filter.to !== undefined)
        params.set('to', timeText(filter.to));
    if (filter.after !== undefined)
        params.set('after', String(filter.after));
    return params;
}
// What the store tells.
/** A page of the list, newest first, and where the next one starts: one more row is read to know there is one. */
async function newestEvents(ctx, filter, before) {
    const events = await ctx.store.listEventsNewestFirst({ ...filter, beforeId: before, limit: EVENTS_PER_PAGE + 1 });
    if (events.length <= EVENTS_PER_PAGE)
        return { events, next: undefined };
    return { events: events.slice(0, EVENTS_PER_PAGE), next: events[EVENTS_PER_PAGE - 1].id };
}
/**
 * What the replay of `choice` would do now, reading only: the events it would take, in its order,
 * and those it would refuse. The store reads them with the replay's own statements, so the
 * preview and the replay agree on what is taken, too old or scrubbed.
 */
async function previewReplay(ctx, choice) {
    const now = ctx.clock.now();
    const { chosen, matching } = await ctx.store.previewReplay({ statuses: choice.statuses, from: choice.from, to: choice.to, afterId: choice.after, limit: DEFAULT_REPLAY_LIMIT });
    const candidates = chosen.map((event) => ({ ...event, tooOld: event.firstDeliveredAt !== undefined && event.firstDeliveredAt < now - REPLAY_WINDOW_MS }));
    return { now, matching, chosen: candidates };
}
// What the pages show.
function eventRow(e) {
    return {
        id: e.id,
        name: e.eventName,
        eventId: e.eventId,
        orderId: e.orderId,
        orderHref: e.orderId === undefined ? undefined : orderAddress(e.orderId),
        status: e.status,
        attempts: e.attempts,
        lastError: e.lastError ?? '',
        created: when(e.createdAt),
        createdIso: new Date(e.createdAt).toISOString(),
        delivered: e.deliveredAt === undefined ? '–' : when(e.deliveredAt),
    };
}
/** One row of the preview: the event, what TikTok has of it, and whether the replay takes it. */
function candidateRow(c, now) {
    const accepted = c.firstDeliveredAt === undefined ? 'never' : `${when(c.firstDeliveredAt)}, ${age(now - c.firstDeliveredAt)} ago`;
    const verdict = c.scrubbed ? { status: 'scrubbed', label: 'refused: scrubbed' } : c.tooOld ? { status: 'too_old', label: 'refused: 48-hour rule' } : { status: 'goes', label: 'goes' };
    // Within the window TikTok drops the copy of an event it has: the replay is harmless, and says so.
    const dropped = c.firstDeliveredAt !== undefined && !c.tooOld && !c.scrubbed;
    return { ...eventRow(c), accepted: dropped ? `${accepted}: TikTok drops the copy` : accepted, verdict };
}
/** The status checkboxes of a form, those asked for ticked. */
function statusBoxes(choices, asked) {
    return choices.map((value) => ({ value, checked: asked.includes(value) || (asked.includes('waiting') && WAITING.includes(value)) }));
}
/** `failed or expired events accepted from …, before …`, for the middle of a sentence. */
function filterWords(filter) {
    const which = filter.statuses?.length ? `${filter.statuses.join(' or ')} events` : 'events of every status';
    const since = filter.from === undefined ? '' : ` accepted from ${when(filter.from)}`;
    const until = filter.to === undefined ? '' : `${since ? ',' : ' accepted'} before ${when(filter.to)}`;
    return which + since + until;
}
const capitalised = (text) => text.charAt(0).toUpperCase() + text.slice(1);
const QUICK_FILTERS = [
    { label: 'All', status: '' },
    { label: 'Failed', status: 'failed' },
    { label: 'Expired', status: 'expired' },
    { label: 'Waiting', status: 'waiting' },
    { label: 'Delivered', status: 'delivered' },
];
/** The one-click filters, keeping the time range. */
function quickFilters(filter) {
    const asked = filter.statuses?.join(',') ?? '';
    return QUICK_FILTERS.map(({ label, status }) => {
        const params = filterParams({ from: filter.from, to: filter.to });
        if (status)
            params.set('status', status);
        const current = status === 'waiting' ? asked === WAITING.join(',') : asked === status;
        return { label, href: `outbox${params.size ? `?${params}` : ''}`, current };
    });
}
/** The preview in words and rows: how many go, which are refused and why, and the fields of the confirm form. */
function previewModel(preview, choice) {
    const { now, chosen } = preview;
    const tooOld = chosen.filter((c) => c.tooOld && !c.scrubbed);
    const scrubbed = chosen.filter((c) => c.scrubbed);
    const oldest = Math.min(...tooOld.map((c) => c.firstDeliveredAt));
    const refusedRow = (c) => ({ id: c.id, eventId: c.eventId, orderId: c.orderId, orderHref: c.orderId === undefined ? undefined : orderAddress(c.orderId), accepted: candidateRow(c, now).accepted });
    return {
        words: filterWords(choice) + (choice.after === undefined ? '' : `, after row ${choice.after}`),
        count: chosen.length,
        /** Matches beyond what one replay takes, in words. */
        beyond: preview.matching > chosen.length
            ? `${preview.matching} events match; one replay takes ${chosen.length}. Replay again afterwards for the others.`
            : undefined,
        rows: chosen.slice(0, PREVIEW_ROWS).map((c) => candidateRow(c, now)),
        more: Math.max(0, chosen.length - PREVIEW_ROWS),
        tooOld: tooOld.length ? { count: tooOld.length, oldest: age(now - oldest), why: WHY_REFUSED, rows: tooOld.slice(0, PREVIEW_ROWS).map(refusedRow) } : undefined,
        scrubbed: scrubbed.length ? { count: scrubbed.length, rows: scrubbed.slice(0, PREVIEW_ROWS).map(refusedRow) } : undefined,
        goes: chosen.length > 0 && !tooOld.length && !scrubbed.length,
        hidden: { status: choice.statuses.join(','), from: timeText(choice.from), to: timeText(choice.to), after: choice.after === undefined ? '' : String(choice.after) },
        listHref: `outbox?${filterParams({ from: choice.from, to: choice.to })}`,
    };
}
/**
 * Why the store replayed nothing, in the page's words (the admin API says it in its own), or
 * undefined when the replay went. Scrubbed events first: forcing does not help them.
 */
function refusalOf(outcome, request) {
    const chosen = Math.min(DEFAULT_REPLAY_LIMIT, outcome.remaining);
    if (outcome.scrubbed.length) {
        const { code, message } = scrubbedError(`${outcome.scrubbed.length} of the ${chosen} events chosen belong to orders`);
        return { code, message };
    }
    if (!outcome.tooOld.length)
        return undefined;
    const oldest = Math.min(...outcome.tooOld.map((e) => e.firstDeliveredAt));
    return {
        code: 'outside_dedup_window',
        message: `${outcome.tooOld.length} of the ${chosen} events chosen ${outcome.tooOld.length === 1 ? 'was' : 'were'} first accepted by TikTok more than ${REPLAY_WINDOW_MS / HOUR_MS} hours ago, the oldest ${age(request.requestedAt - oldest)} ago. ${WHY_REFUSED} copies sent now would count those purchases twice. Nothing was replayed: narrow the statuses or the range, or tick “Send them even if TikTok counts them again”.`,
    };
}
/** Where the confirm form sends the operator: the preview of what is left, saying what went. */
function doneAddress(choice, outcome, forced) {
    // What is left starts after the last one sent: those may fail again, and match again, before the next replay.
    const params = filterParams({ ...choice, after: outcome.remaining ? (outcome.replayed.at(-1) ?? choice.after) : choice.after });
    params.set('replayed', String(outcome.replayed.length));
    params.set('remaining', String(outcome.remaining));
    if (forced)
        params.set('forced', '1');
    return `replay?${params}`;
}
export const registerEventPages = (pages, deps) => {
    const { ctx, access, replays, context } = deps;
    /** The replay form's defaults: the list's range and ended statuses, else failed events of the last 24 hours. */
    function replayDefaults(filter) {
        const minute = Math.floor(ctx.clock.now() / MINUTE_MS) * MINUTE_MS;
        const ended = filter.statuses?.filter(isEnded) ?? [];
        return { statuses: statusBoxes(ENDED_STATUSES, ended.length ? ended : ['failed']), from: timeText(filter.from ?? minute - DAY_MS), to: timeText(filter.to ?? minute + MINUTE_MS) };
    }
    pages.get('/admin/outbox', access.requirePage, async (req, res) => {
        const query = listQuery.safeParse(req.query);
        if (!query.success) {
            const sent = fieldsAsSent(req.query);
            const empty = { statuses: undefined, from: undefined, to: undefined };
            return sendPage(res, 400, 'outbox', {
                ...context(req, res),
                error: describeZodError(query.error),
                filter: { statuses: statusBoxes(EVENT_STATUSES, sent.statuses), from: sent.from, to: sent.to },
                quick: quickFilters(empty),
                replay: replayDefaults(empty),
                rows: [],
            });
        }
        const filter = { statuses: query.data.status, from: query.data.from, to: query.data.to };
        const page = await newestEvents(ctx, filter, query.data.before);
        const next = page.next === undefined ? undefined : filterParams(filter);
        next?.set('before', String(page.next));
        sendPage(res, 200, 'outbox', {
            ...context(req, res),
            heading: `${capitalised(filterWords(filter))}, newest first${query.data.before === undefined ? '' : `, before row ${query.data.before}`}`,
            filter: { statuses: statusBoxes(EVENT_STATUSES, filter.statuses ?? []), from: filter.from === undefined ? '' : timeText(filter.from), to: filter.to === undefined ? '' : timeText(filter.to) },
            filtered: filter.statuses !== undefined || filter.from !== undefined || filter.to !== undefined || query.data.before !== undefined,
            quick: quickFilters(filter),
            replay: replayDefaults(filter),
            rows: page.events.map(eventRow),
            next: next && `outbox?${next}`,
        });
    });
    async function previewPage(req, res, choice, status, extra) {
        const preview = await previewReplay(ctx, choice);
        sendPage(res, status, 'outbox-replay', {
            ...context(req, res),
            form: { statuses: statusBoxes(ENDED_STATUSES, choice.statuses), from: timeText(choice.from), to: timeText(choice.to) },
            preview: previewModel(preview, choice),
            ...extra,
        });
    }
    /** The preview page with the reason its fields were refused, and the fields as they were sent. */
    function refusedFields(req, res, error, source) {
        const sent = fieldsAsSent(source);
        sendPage(res, 400, 'outbox-replay', { ...context(req, res), error: describeZodError(error), form: { statuses: statusBoxes(ENDED_STATUSES, sent.statuses), from: sent.from, to: sent.to } });
    }
    pages.get('/admin/outbox/replay', access.requirePage, async (req, res) => {
        const query = replayQuery.safeParse(req.query);
        if (!query.success)
            return refusedFields(req, res, query.error, req.query);
        const { replayed, remaining, forced } = query.data;
        const done = replayed === undefined ? undefined : { replayed, remaining: remaining ?? 0, forced: forced === '1' };
        await previewPage(req, res, choiceOf(query.data), 200, { done });
    });
    pages.post('/admin/outbox/replay', access.requirePage, async (req, res) => {
        const form = replayForm.safeParse(req.body ?? {});
        if (!form.success)
            return refusedFields(req, res, form.error, req.body);
        const { force, note } = form.data;
        const choice = choiceOf(form.data);
        // As POST /admin/replays asks it, with the dashboard as the actor.
        const { outcome, request } = await replays.bulk(req, { statuses: choice.statuses, from: choice.from, to: choice.to, limit: DEFAULT_REPLAY_LIMIT, afterId: choice.after }, { force, note, actor: 'dashboard' });
        const refusal = refusalOf(outcome, request);
        if (refusal)
            return previewPage(req, res, choice, 409, { refusal, note: note ?? '' });
        res.redirect(303, doneAddress(choice, outcome, force));
    });
};
