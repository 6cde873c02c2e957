"""The hand-written SQL baseline: the catalogue's 15 rules in plain DuckDB SQL.

What a competent data engineer would write by hand for the team's rule catalogue (the 15 rules
under ``policies/``, with their boundaries and tie-breaks) over one typed read of a JSON Lines
file of canonical events, without the project's policy language or engines: the yardstick the
performance target is stated against ("what hand-written SQL of the same rules achieves on this
machine"). It imports only duckdb and the standard library, never the ``checker`` package.

    python bench/handwritten.py EVENTS.jsonl --as-of 2024-07-31T22:00:00+08:00 -o OUT.jsonl
    python bench/handwritten_check.py OUT.jsonl RESULT.json      # agreement with the product

Steps (SQL statements; Python only strings them together and prints):

1. ``records``: ONE ``read_json`` of the file (newline delimited, explicit columns: the canonical
   fields as VARCHAR, ``subject`` a STRUCT, ``data`` as JSON, kept only for the actions some rule
   reads), the timestamp parsed to epoch microseconds (RFC 3339 text, naive text in
   Asia/Shanghai, epoch numbers by magnitude: below 1e11 seconds, below 1e14 milliseconds, else
   microseconds), and each record checked: required fields present and non-empty, a ``subject``
   with an ``id``, a readable timestamp in 1900..9000 and at most one day after the run's now
   (``--now``, default the wall clock);
2. ``dups``: ids given to several valid records (grouped on a hash of the id first): identical
   content (a hash of every field, ``data`` included) is a duplicate, kept once; different
   content a conflict, every version rejected. The as-of time (``--as-of``, default the latest
   accepted event) is fixed, the counts taken, and ``records`` cleaned in place (``DELETE`` of the
   rejected, conflicting, extra copies and events after the as-of time, which are counted but
   neither judged nor looked up); ``ev`` is a view of what is left;
3. one named query per rule (lookups as ASOF joins on a table grouped by key and timestamp,
   counts and sums as range joins), each inserting its violations and their evidence into
   ``violations``;
4. ``COPY`` of the violations, ordered by rule, trigger time and event id, as JSON Lines
   ``{"rule_id", "event_id", "evidence"}``. Evidence is the trigger plus every event the rule's
   lookups found (for a count or sum, every event counted), in time order, ties by event id:
   what the product gives.

Conventions (the catalogue's): "before" / "after" are strict; the latest of events sharing a
timestamp is the greatest ``event_id`` and the first the least (each lookup table is grouped by
key and timestamp first, so that an ASOF join finds exactly one row); "within N" includes N;
N days are N x 24 h of elapsed time unless calendar days; calendar arithmetic and dates on the
Asia/Shanghai calendar (DuckDB's ICU ``TIMESTAMPTZ`` with ``TimeZone`` set). Each rule reads
only its platform's events. A value a rule needs of the wrong JSON type makes the trigger
inconclusive (so never a violation), as the catalogue settles.

Agreement: on the bench corpora (100k, 1M, 2M and 10M events, seed 7) the violations are
exactly the product's, rule by rule, evidence lists included (``bench/handwritten_check.py``),
and so are they on every case of the policies' ``*.tests.yaml`` without a case timezone or
parameters (figures in ``bench/HANDWRITTEN.md``).

Simplifications against the product, none of which the bench corpora exercise (they hold no
rejected, duplicate or future record): no line-level accounting (``ignore_errors`` turns a line
that is not JSON, or a record of another shape such as a string ``subject``, into NULLs: a
``missing-field`` rejection, with no line number); no schema patterns (a non-dotted ``action``
or upper-case ``platform`` is accepted; non-string ``event_id`` / ``platform`` / ... are read as
their text, and so is a numeric timestamp, so the text "1714784526000" reads as epoch
milliseconds); RFC 3339 text is read by DuckDB's ``TIMESTAMPTZ`` cast, a bit more lenient than
the product (it takes a bare date); a ``data.via_leader`` that is not a boolean counts as "not
through the leader" and a ``deposit_frozen`` amount that is not a number makes
``juhuasuan.insufficient-deposit`` inconclusive whenever the others fall short, where the
product might still decide some of these.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb

SETUP = """
SET TimeZone = 'Asia/Shanghai';
CREATE OR REPLACE MACRO is_num(j) AS
    coalesce(json_type(j) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT'), false);
CREATE OR REPLACE MACRO is_absent(j) AS j IS NULL OR json_type(j) = 'NULL';
-- epoch microseconds of an epoch number, read by magnitude
CREATE OR REPLACE MACRO epoch_by_magnitude(n) AS CASE
    WHEN abs(n) < 1e11 THEN TRY_CAST(n * 1e6 AS BIGINT)
    WHEN abs(n) < 1e14 THEN TRY_CAST(n * 1e3 AS BIGINT)
    ELSE TRY_CAST(n AS BIGINT) END;
-- epoch microseconds of a JSON timestamp: RFC 3339 text (naive = Asia/Shanghai) or an epoch number
CREATE OR REPLACE MACRO ts_us(j) AS CASE
    WHEN json_type(j) = 'VARCHAR' THEN epoch_us(TRY_CAST(j ->> '$' AS TIMESTAMPTZ))
    WHEN json_type(j) IN ('BIGINT', 'UBIGINT', 'HUGEINT') THEN epoch_by_magnitude(TRY_CAST(j AS HUGEINT))
    WHEN json_type(j) = 'DOUBLE' THEN epoch_by_magnitude(TRY_CAST(j AS DOUBLE)) END;
-- the same of the event's own timestamp, read as text (a JSON number arrives as its digits, which
-- no TIMESTAMPTZ cast takes)
CREATE OR REPLACE MACRO text_ts_us(s) AS
    coalesce(epoch_us(TRY_CAST(s AS TIMESTAMPTZ)), epoch_by_magnitude(TRY_CAST(s AS DOUBLE)));
CREATE OR REPLACE MACRO local_date(us) AS CAST(make_timestamptz(us) AS DATE);
-- Python's str.isspace() set: ASCII whitespace, \\x1c-\\x1f, \\x85 and Unicode separators (U+3000...)
CREATE OR REPLACE MACRO is_blank(j) AS is_absent(j) OR (json_type(j) = 'VARCHAR'
    AND regexp_full_match(j ->> '$', '[\\s\\x{0b}\\x{1c}-\\x{1f}\\x{85}\\p{Z}]*'));
-- evidence: the event ids of a list of {ts, eid} (NULL eids dropped) in time order, ties by id
CREATE OR REPLACE MACRO evidence(items) AS
    list_transform(list_sort(list_filter(items, lambda x: x.eid IS NOT NULL)), lambda x: x.eid);
"""

# 1. the one read of the file, typed, each record checked
READ = """
CREATE TEMP TABLE records AS
WITH r AS (
    SELECT event_id, text_ts_us("timestamp") AS ts, "timestamp" IS NOT NULL AS has_ts,
           platform, seller_id, action, subject.id AS subj,
           subject IS NOT NULL AND subject.id IS NULL AS no_id,
           CASE WHEN action IN ('order.completed', 'order.refunded', 'plan.close_requested',
                                'distribution.enrolled', 'distribution.order_paid',
                                'juhuasuan.signup_approved', 'juhuasuan.deposit_frozen')
                THEN data END AS rule_data,
           hash(event_id) AS id_hash,
           hash(event_id, "timestamp", platform, seller_id, action, subject, actor, data) AS content
    FROM read_json($path, format = 'newline_delimited', ignore_errors = true, columns = {
        event_id: 'VARCHAR', "timestamp": 'VARCHAR', platform: 'VARCHAR', seller_id: 'VARCHAR',
        action: 'VARCHAR', subject: 'STRUCT(type VARCHAR, id VARCHAR)', actor: 'VARCHAR',
        data: 'JSON'})
)
SELECT event_id, ts, platform, seller_id, action, subj, rule_data AS data, id_hash, content, CASE
    WHEN coalesce(event_id, '') = '' OR coalesce(seller_id, '') = '' OR platform IS NULL
         OR action IS NULL OR NOT has_ts THEN 'missing-field'
    WHEN no_id THEN 'invalid-event'
    WHEN ts IS NULL THEN 'bad-timestamp'
    WHEN ts < -2208988800000000 OR ts >= 221845392000000000 THEN 'timestamp-out-of-range'
    WHEN ts > $now_us + 86400000000 THEN 'future-timestamp'
    END AS reject
FROM r
"""

# 1'. the same, with the product's line-level accounting (``--exact-intake``): what a by-hand job
# must add to reject each bad line with its number and to read every line as Python's json does.
# The file is read as lines (one text column, rows stored in file order, so a row's place is its
# line number), and a line is read by SQL only when DuckDB's lenient JSON reader provably reads it
# as Python's strict one does: valid JSON without a trailing comma, NaN or Infinity, a number that
# may not fit a double or 64 bits, a key with an escape, or a key some rule reads given twice
# (DuckDB keeps the first, Python the last). Such lines are listed (``needs-exact-parse``) for a
# strict parser; the bench corpora have none. Fields are checked by JSON type (a number where text
# is due is an invalid event, not its digits), ``action`` and ``platform`` by the schema's
# patterns, and a text timestamp by strict RFC 3339 (a naive one in Asia/Shanghai); any other
# timestamp form, and a line over the checker's size or nesting limits, is left to the strict parser
# too. Not reproduced: the checker's conversion of files with carriage returns or bytes that are not
# UTF-8 (DuckDB's line reader refuses such a file whole), and its content digest of the whole record
# for duplicates (here: a hash of the fields read). Reject codes are this script's own.
# READ_KEYS are the keys the checker's pattern covers for the catalogue (tests/test_bench_baseline.py).
READ_KEYS = (
    "event_id",
    "timestamp",
    "platform",
    "seller_id",
    "action",
    "subject",
    "actor",
    "data",
    "affiliate_attributed",
    "amount",
    "base_paid_orders",
    "borne_by",
    "campaign_start",
    "commission_amount",
    "id",
    "managed_mode",
    "order_created_at",
    "order_paid_at",
    "reason",
    "required_deposit",
    "type",
    "via_leader",
)
PARITY = "|".join(
    [
        *(f'"{k}"\\s*:.*"{k}"\\s*:' for k in READ_KEYS),
        '\\\\[^"]*"\\s*:',
        ",\\s*[\\]}]",
        "[0-9][eE][+-]?[0-9]{3}|[0-9]{19}",
        "[:,\\[]\\s*-?(?i:nan|inf)",
    ]
)
READ_EXACT = """
CREATE TEMP TABLE records AS
WITH l AS (
    SELECT column0 AS text, json_valid(column0) AS ok FROM read_csv($path,
        columns = {'column0': 'VARCHAR'}, delim = chr(1), quote = '', escape = '', header = false,
        auto_detect = false, strict_mode = true, new_line = '\\n')
), f AS (
    SELECT text, ok, ok AND NOT regexp_matches(text, $parity) AS parity,
        CASE WHEN ok THEN json_type(text, ['$.event_id', '$.timestamp', '$.platform', '$.seller_id',
            '$.action', '$.subject', '$.subject.type', '$.subject.id', '$.actor', '$.data']) END AS t,
        CASE WHEN ok THEN json_extract_string(text, ['$.event_id', '$.timestamp', '$.platform',
            '$.seller_id', '$.action', '$.subject', '$.subject.type', '$.subject.id', '$.actor',
            '$.data']) END AS s
    FROM l
), r0 AS (
    SELECT *, s[1] AS event_id, s[3] AS platform, s[4] AS seller_id, s[5] AS action, s[8] AS subj,
        t[2] = 'VARCHAR' AND regexp_full_match(upper(s[2]), '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]'
            || '([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?'
            || '(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?') AS rfc3339
    FROM f
), r AS (
    SELECT *, CASE WHEN t[2] IN ('BIGINT', 'UBIGINT') THEN epoch_by_magnitude(TRY_CAST(s[2] AS HUGEINT))
                   WHEN rfc3339 THEN epoch_us(TRY_CAST(upper(s[2]) AS TIMESTAMPTZ)) END AS ts
    FROM r0
)
SELECT event_id, ts, platform, seller_id, action, subj,
    CASE WHEN action IN ('order.completed', 'order.refunded', 'plan.close_requested',
                         'distribution.enrolled', 'distribution.order_paid',
                         'juhuasuan.signup_approved', 'juhuasuan.deposit_frozen')
         THEN json_extract(text, '$.data') END AS data,
    hash(event_id) AS id_hash, hash(s) AS content, CASE
    WHEN text IS NULL OR regexp_full_match(text, '[ \\t\\v\\f\\r]*') THEN 'blank'
    WHEN NOT ok THEN 'bad-json'
    WHEN NOT parity OR strlen(text) > 1048576
         OR strlen(text) - strlen(replace(replace(text, '[', ''), '{', '')) > 64 THEN 'needs-exact-parse'
    WHEN NOT list_bool_and([coalesce(t[i] = 'VARCHAR' AND regexp_matches(s[i], '[!-~]'), false)
                            FOR i IN [1, 3, 4, 5]])
         OR t[2] IS NULL THEN 'missing-field'
    WHEN NOT regexp_full_match(action, '[a-z0-9_\\-]*\\.[a-z0-9_.\\-]*')
         OR NOT regexp_full_match(platform, '[a-z][a-z0-9_.\\-]*')
         OR NOT (t[6] IS NULL
                 OR (t[6] = 'OBJECT' AND t[7] = 'VARCHAR' AND t[8] IN ('VARCHAR', 'BIGINT', 'UBIGINT')))
         OR NOT coalesce(t[9] = 'VARCHAR', true) OR NOT coalesce(t[10] = 'OBJECT', true) THEN 'invalid-event'
    WHEN t[2] NOT IN ('BIGINT', 'UBIGINT') AND NOT rfc3339 THEN 'needs-exact-parse'
    WHEN ts IS NULL THEN 'bad-timestamp'
    WHEN ts < -2208988800000000 OR ts >= 221845392000000000 THEN 'timestamp-out-of-range'
    WHEN ts > $now_us + 86400000000 THEN 'future-timestamp'
    END AS reject
FROM r
"""
# every rejected line with its number (a row's place in ``records``, stored in file order)
REJECTED_LINES = "SELECT rowid + 1 AS line, reject FROM records WHERE reject NOT IN ('blank') ORDER BY line"

# 2. ids given to several valid records (found by a hash of the id first, the cheap way): one
# content is a duplicate (the first copy kept), several a conflict (every version rejected)
DUPLICATES = """
CREATE TEMP TABLE dups AS
SELECT event_id, count(*) AS copies, min(content) <> max(content) AS conflict, min(rowid) AS kept
FROM records
WHERE reject IS NULL
  AND id_hash IN (SELECT id_hash FROM records WHERE reject IS NULL GROUP BY id_hash HAVING count(*) > 1)
GROUP BY event_id HAVING count(*) > 1
"""

AS_OF = """
SELECT coalesce(epoch_us(CAST($as_of AS TIMESTAMPTZ)), max(ts)) FROM records
WHERE reject IS NULL AND event_id NOT IN (SELECT event_id FROM dups WHERE conflict)
"""

COUNTS = """
SELECT (SELECT count(*) FROM records) AS records,
       (SELECT count(*) FROM records WHERE reject IS NOT NULL) AS rejected,
       (SELECT coalesce(sum(copies - 1), 0) FROM dups WHERE NOT conflict) AS duplicates,
       (SELECT coalesce(sum(copies), 0) FROM dups WHERE conflict) AS conflicting,
       (SELECT count(*) FROM records WHERE reject IS NULL)
         - (SELECT coalesce(sum(CASE WHEN conflict THEN copies ELSE copies - 1 END), 0) FROM dups)
         AS accepted,
       (SELECT count(DISTINCT event_id) FROM records r WHERE reject IS NULL AND ts > $as_of_us
          AND event_id NOT IN (SELECT event_id FROM dups WHERE conflict)) AS after_as_of
"""

REJECTS = "SELECT reject, count(*) FROM records WHERE reject IS NOT NULL GROUP BY ALL ORDER BY ALL"

# then the table is cleaned in place (rejected, conflicting, extra copies, after the as-of time):
# what is left are the events the rules judge and look up
CLEAN = """
DELETE FROM records
WHERE reject IS NOT NULL OR ts > $as_of_us
   OR (event_id IN (SELECT event_id FROM dups)
       AND (event_id IN (SELECT event_id FROM dups WHERE conflict) OR rowid NOT IN (SELECT kept FROM dups)))
"""

EVENTS = """
CREATE VIEW ev AS SELECT event_id AS eid, ts, platform, seller_id AS seller, subj, action, data FROM records
"""

VIOLATIONS = """
CREATE TEMP TABLE violations (rule_id VARCHAR, event_id VARCHAR, ts BIGINT, evidence VARCHAR[])
"""

# 3. the rules, one query each. A lookup table has one row per key and timestamp: max(eid) for
# "the latest before" (the latest of a tie), min(eid) for "the first after", so that an ASOF join
# finds the one event the catalogue means.
RULES: dict[str, str] = {}

RULES["aliexpress.affiliate.early-exit"] = """
-- exit_requested earlier than 15 x 24 h after the seller's latest join before it (none: inconclusive)
WITH joined AS (
    SELECT seller, ts, max(eid) AS eid FROM ev
    WHERE platform = 'aliexpress' AND action = 'affiliate.joined' GROUP BY ALL
)
SELECT t.eid, t.ts, [j.eid, t.eid]
FROM ev t ASOF JOIN joined j ON t.seller = j.seller AND t.ts > j.ts
WHERE t.platform = 'aliexpress' AND t.action = 'affiliate.exit_requested'
  AND t.ts - j.ts < 15 * 86400000000
"""

MEMBERSHIP = """
WITH membership AS (
    SELECT seller, ts, max(eid) AS eid, arg_max(action, eid) AS action FROM ev
    WHERE platform = 'aliexpress' AND action IN ('affiliate.joined', 'affiliate.exited') GROUP BY ALL
),
"""

RULES["aliexpress.affiliate.commission-after-exit"] = (
    MEMBERSHIP
    + """
-- an order with a commission > 0, created while the seller's latest membership event was an exit
orders AS (
    SELECT eid, ts, seller, ts_us(data -> 'order_created_at') AS created_at FROM ev
    WHERE platform = 'aliexpress' AND action = 'order.completed'
      AND is_num(data -> 'commission_amount') AND TRY_CAST(data -> 'commission_amount' AS DOUBLE) > 0
)
SELECT o.eid, o.ts, evidence([{ts: m.ts, eid: m.eid}, {ts: o.ts, eid: o.eid}])
FROM orders o ASOF JOIN membership m ON o.seller = m.seller AND o.created_at > m.ts
WHERE m.action = 'affiliate.exited'
"""
)

RULES["aliexpress.affiliate.commission-missed"] = (
    MEMBERSHIP
    + """
-- an affiliate order with no commission (0 or absent), created while the seller was a member
orders AS (
    SELECT eid, ts, seller, ts_us(data -> 'order_created_at') AS created_at FROM ev
    WHERE platform = 'aliexpress' AND action = 'order.completed'
      AND json_type(data -> 'affiliate_attributed') = 'BOOLEAN'
      AND TRY_CAST(data -> 'affiliate_attributed' AS BOOLEAN)
      AND (is_absent(data -> 'commission_amount')
           OR (is_num(data -> 'commission_amount') AND TRY_CAST(data -> 'commission_amount' AS DOUBLE) = 0))
)
SELECT o.eid, o.ts, evidence([{ts: m.ts, eid: m.eid}, {ts: o.ts, eid: o.eid}])
FROM orders o ASOF JOIN membership m ON o.seller = m.seller AND o.created_at > m.ts
WHERE m.action = 'affiliate.joined'
"""
)

RULES["aliexpress.choice.refund-charged-to-seller"] = """
-- a fully managed refund borne by the seller before payment + 3 calendar months (Asia/Shanghai)
WITH refunds AS (
    SELECT eid, ts, ts_us(data -> 'order_paid_at') AS paid_at FROM ev
    WHERE platform = 'aliexpress' AND action = 'order.refunded'
      AND json_type(data -> 'managed_mode') = 'VARCHAR' AND data ->> 'managed_mode' = 'full'
      AND json_type(data -> 'borne_by') = 'VARCHAR' AND data ->> 'borne_by' = 'seller'
)
SELECT eid, ts, [eid] FROM refunds
WHERE ts < epoch_us(make_timestamptz(paid_at) + INTERVAL 3 MONTH)
"""

RULES["aliexpress.jit.order-without-exam"] = """
-- a JIT order confirmed with no exam passed by the seller strictly before it
WITH first_exam AS (
    SELECT seller, min(ts) AS ts FROM ev
    WHERE platform = 'aliexpress' AND action = 'jit.exam_passed' GROUP BY ALL
)
SELECT t.eid, t.ts, [t.eid]
FROM ev t LEFT JOIN first_exam x ON t.seller = x.seller
WHERE t.platform = 'aliexpress' AND t.action = 'jit.order_confirmed' AND (x.ts IS NULL OR x.ts >= t.ts)
"""

RULES["aliexpress.promotion.cancel-without-notice"] = """
-- a promotion cancelled with no customer notice of it strictly before
WITH first_notice AS (
    SELECT seller, subj, min(ts) AS ts FROM ev
    WHERE platform = 'aliexpress' AND action = 'promotion.customers_notified' GROUP BY ALL
)
SELECT t.eid, t.ts, [t.eid]
FROM ev t LEFT JOIN first_notice n ON t.seller = n.seller AND t.subj IS NOT DISTINCT FROM n.subj
WHERE t.platform = 'aliexpress' AND t.action = 'promotion.cancelled' AND (n.ts IS NULL OR n.ts >= t.ts)
"""

RULES["taobao.affiliate.close-without-reason"] = """
-- a plan close request whose reason is absent, empty or whitespace (a non-text reason: inconclusive)
SELECT eid, ts, [eid] FROM ev
WHERE platform = 'taobao' AND action = 'plan.close_requested' AND is_blank(data -> 'reason')
"""

RULES["taobao.affiliate.unreviewed-close"] = """
-- a plan closed unless the latest decision after its latest request (and before the close) approves
WITH requests AS (
    SELECT seller, subj, ts, max(eid) AS eid FROM ev
    WHERE platform = 'taobao' AND action = 'plan.close_requested' GROUP BY ALL
),
decisions AS (
    SELECT seller, subj, ts, max(eid) AS eid, arg_max(action, eid) AS action FROM ev
    WHERE platform = 'taobao' AND action IN ('plan.close_approved', 'plan.close_rejected') GROUP BY ALL
),
closes AS (SELECT eid, ts, seller, subj FROM ev WHERE platform = 'taobao' AND action = 'plan.closed'),
judged AS (
    SELECT c.eid, c.ts, r.eid AS r_eid, r.ts AS r_ts,
           CASE WHEN d.ts > r.ts THEN d.eid END AS d_eid, d.ts AS d_ts, d.action AS d_action
    FROM closes c
    ASOF LEFT JOIN requests r ON c.seller = r.seller AND c.subj IS NOT DISTINCT FROM r.subj AND c.ts > r.ts
    ASOF LEFT JOIN decisions d ON c.seller = d.seller AND c.subj IS NOT DISTINCT FROM d.subj AND c.ts > d.ts
)
SELECT eid, ts, evidence([{ts: r_ts, eid: r_eid}, {ts: d_ts, eid: d_eid}, {ts: ts, eid: eid}])
FROM judged
WHERE r_eid IS NULL OR d_eid IS NULL OR d_action <> 'plan.close_approved'
"""

RULES["kuaishou.distribution.unreviewed-cancel"] = """
-- from 2023-09-16 (Asia/Shanghai): R = latest cancel request before the cancellation (else the
-- cancellation), E = latest enrolment before R; review needed when R - E <= 30 x 24 h or the
-- via-leader paid orders strictly between E and R reach E's base_paid_orders; then the latest
-- leader decision strictly between R and the cancellation must be an approval
WITH requests AS (
    SELECT seller, subj, ts, max(eid) AS eid FROM ev
    WHERE platform = 'kuaishou' AND action = 'distribution.cancel_requested' GROUP BY ALL
),
enrolments AS (
    SELECT seller, subj, ts, max(eid) AS eid, arg_max(data -> 'base_paid_orders', eid) AS base FROM ev
    WHERE platform = 'kuaishou' AND action = 'distribution.enrolled' GROUP BY ALL
),
decisions AS (
    SELECT seller, subj, ts, max(eid) AS eid, arg_max(action, eid) AS action FROM ev
    WHERE platform = 'kuaishou'
      AND action IN ('distribution.cancel_approved', 'distribution.cancel_rejected') GROUP BY ALL
),
leader_orders AS (
    SELECT seller, subj, ts, eid FROM ev
    WHERE platform = 'kuaishou' AND action = 'distribution.order_paid'
      AND json_type(data -> 'via_leader') = 'BOOLEAN' AND TRY_CAST(data -> 'via_leader' AS BOOLEAN)
),
cancels AS (
    SELECT c.eid, c.ts, c.seller, c.subj, r.eid AS r_eid, r.ts AS r_ts, coalesce(r.ts, c.ts) AS req_ts
    FROM ev c
    ASOF LEFT JOIN requests r ON c.seller = r.seller AND c.subj IS NOT DISTINCT FROM r.subj AND c.ts > r.ts
    WHERE c.platform = 'kuaishou' AND c.action = 'distribution.cancelled'
      AND c.ts >= epoch_us(TIMESTAMPTZ '2023-09-16 00:00:00+08:00')
),
judged AS (
    SELECT c.*, e.eid AS e_eid, e.ts AS e_ts, e.base,
           c.req_ts - e.ts <= 30 * 86400000000 AS within_window,
           CASE WHEN d.ts > c.req_ts THEN d.eid END AS d_eid, d.ts AS d_ts, d.action AS d_action
    FROM cancels c
    ASOF JOIN enrolments e ON c.seller = e.seller AND c.subj IS NOT DISTINCT FROM e.subj AND c.req_ts > e.ts
    ASOF LEFT JOIN decisions d ON c.seller = d.seller AND c.subj IS NOT DISTINCT FROM d.subj AND c.ts > d.ts
),
counted AS (
    SELECT j.eid, count(o.eid) AS leader_orders, list({ts: o.ts, eid: o.eid}) AS orders
    FROM judged j LEFT JOIN leader_orders o
      ON j.seller = o.seller AND j.subj IS NOT DISTINCT FROM o.subj AND o.ts > j.e_ts AND o.ts < j.req_ts
    GROUP BY j.eid
)
SELECT j.eid, j.ts,
       evidence(list_concat([{ts: j.r_ts, eid: j.r_eid}, {ts: j.e_ts, eid: j.e_eid},
                             {ts: j.d_ts, eid: j.d_eid}, {ts: j.ts, eid: j.eid}], n.orders))
FROM judged j JOIN counted n USING (eid)
WHERE (j.within_window
       OR (is_num(j.base) AND n.leader_orders >= TRY_CAST(j.base AS DOUBLE)))
  AND (j.d_eid IS NULL OR j.d_action <> 'distribution.cancel_approved')
"""

RULES["kuaishou.distribution.late-extension-approval"] = """
-- an extension approved more than 72 h after the latest request before it, or with no request
WITH requests AS (
    SELECT seller, subj, ts, max(eid) AS eid FROM ev
    WHERE platform = 'kuaishou' AND action = 'distribution.extension_requested' GROUP BY ALL
)
SELECT t.eid, t.ts, evidence([{ts: r.ts, eid: r.eid}, {ts: t.ts, eid: t.eid}])
FROM ev t
ASOF LEFT JOIN requests r ON t.seller = r.seller AND t.subj IS NOT DISTINCT FROM r.subj AND t.ts > r.ts
WHERE t.platform = 'kuaishou' AND t.action = 'distribution.extension_approved'
  AND (r.eid IS NULL OR t.ts - r.ts > 72 * 3600000000)
"""

RULES["juhuasuan.cancel-after-approval"] = """
-- a sign-up cancelled after an approval, with no operator consent strictly between the latest
-- approval and the cancellation
WITH approvals AS (
    SELECT seller, subj, ts, max(eid) AS eid FROM ev
    WHERE platform = 'taobao' AND action = 'juhuasuan.signup_approved' GROUP BY ALL
),
consents AS (
    SELECT seller, subj, ts, max(eid) AS eid FROM ev
    WHERE platform = 'taobao' AND action = 'juhuasuan.operator_consented' GROUP BY ALL
)
SELECT t.eid, t.ts, [a.eid, t.eid]
FROM ev t
ASOF JOIN approvals a ON t.seller = a.seller AND t.subj IS NOT DISTINCT FROM a.subj AND t.ts > a.ts
ASOF LEFT JOIN consents c ON t.seller = c.seller AND t.subj IS NOT DISTINCT FROM c.subj AND t.ts > c.ts
WHERE t.platform = 'taobao' AND t.action = 'juhuasuan.signup_cancelled'
  AND (c.eid IS NULL OR c.ts <= a.ts)
"""

APPROVALS = """
WITH approvals AS (
    SELECT seller, subj, ts, max(eid) AS eid,
           arg_max(data -> 'campaign_start', eid) AS campaign_start,
           arg_max(data -> 'required_deposit', eid) AS required_deposit
    FROM ev WHERE platform = 'taobao' AND action = 'juhuasuan.signup_approved' GROUP BY ALL
),
starts AS (SELECT * FROM ev WHERE platform = 'taobao' AND action = 'juhuasuan.campaign_started'),
"""

RULES["juhuasuan.late-deposit"] = (
    APPROVALS
    + """
-- a campaign started with its sign-up's first deposit (strictly before the start event) missing or
-- on a calendar date less than 2 days before the campaign start's date (the latest approval's
-- data.campaign_start, else the event's own time; one unreadable: inconclusive if a deposit exists)
first_deposit AS (
    SELECT seller, subj, min(ts) AS ts, arg_min(eid, (ts, eid)) AS eid FROM ev
    WHERE platform = 'taobao' AND action = 'juhuasuan.deposit_frozen' GROUP BY ALL
),
judged AS (
    SELECT t.eid, t.ts, a.eid AS a_eid, a.ts AS a_ts,
           CASE WHEN d.ts < t.ts THEN d.eid END AS d_eid, d.ts AS d_ts,
           CASE WHEN is_absent(a.campaign_start) THEN t.ts ELSE ts_us(a.campaign_start) END AS start_us
    FROM starts t
    ASOF LEFT JOIN approvals a ON t.seller = a.seller AND t.subj IS NOT DISTINCT FROM a.subj AND t.ts > a.ts
    LEFT JOIN first_deposit d ON t.seller = d.seller AND t.subj IS NOT DISTINCT FROM d.subj
)
SELECT eid, ts, evidence([{ts: a_ts, eid: a_eid}, {ts: d_ts, eid: d_eid}, {ts: ts, eid: eid}])
FROM judged
WHERE d_eid IS NULL OR local_date(start_us) - local_date(d_ts) < 2
"""
)

RULES["juhuasuan.insufficient-deposit"] = (
    APPROVALS
    + """
-- a campaign started with the sign-up's deposits frozen strictly before it summing below the latest
-- approval's data.required_deposit (no approval, or no numeric required amount: inconclusive)
deposits AS (
    SELECT seller, subj, ts, eid, data -> 'amount' AS amount FROM ev
    WHERE platform = 'taobao' AND action = 'juhuasuan.deposit_frozen'
),
judged AS (
    SELECT t.eid, t.ts, t.seller, t.subj, a.eid AS a_eid, a.ts AS a_ts,
           TRY_CAST(a.required_deposit AS DECIMAL(38, 6)) AS required
    FROM starts t
    ASOF JOIN approvals a ON t.seller = a.seller AND t.subj IS NOT DISTINCT FROM a.subj AND t.ts > a.ts
    WHERE is_num(a.required_deposit)
),
summed AS (
    SELECT j.eid,
           coalesce(sum(TRY_CAST(d.amount AS DECIMAL(38, 6))) FILTER (WHERE is_num(d.amount)), 0)
             AS deposited,
           count(d.eid) FILTER (WHERE NOT is_num(d.amount)) AS unreadable,
           coalesce(list({ts: d.ts, eid: d.eid}) FILTER (WHERE is_num(d.amount)), []) AS summed_deposits
    FROM judged j
    LEFT JOIN deposits d ON j.seller = d.seller AND j.subj IS NOT DISTINCT FROM d.subj AND d.ts < j.ts
    GROUP BY j.eid
)
SELECT j.eid, j.ts,
       evidence(list_concat([{ts: j.a_ts, eid: j.a_eid}, {ts: j.ts, eid: j.eid}], s.summed_deposits))
FROM judged j JOIN summed s USING (eid)
WHERE s.unreadable = 0 AND s.deposited < j.required
"""
)

RULES["juhuasuan.sample-return-overdue"] = """
-- a failed second review with no sample returned within 3 x 24 h after it (pending while the as-of
-- time is less than 3 days after the failure)
WITH returns AS (
    SELECT seller, subj, ts, min(eid) AS eid FROM ev
    WHERE platform = 'taobao' AND action = 'juhuasuan.sample_returned' GROUP BY ALL
)
SELECT t.eid, t.ts, evidence([{ts: t.ts, eid: t.eid}, {ts: r.ts, eid: r.eid}])
FROM ev t
ASOF LEFT JOIN returns r ON t.seller = r.seller AND t.subj IS NOT DISTINCT FROM r.subj AND t.ts < r.ts
WHERE t.platform = 'taobao' AND t.action = 'juhuasuan.second_review_failed'
  AND CASE WHEN r.eid IS NULL THEN $as_of_us - t.ts >= 3 * 86400000000
           ELSE r.ts - t.ts > 3 * 86400000000 END
"""

RULES["juhuasuan.second-review-overdue"] = """
-- a received sample with no second review (passed or failed) within 24 h after it (pending while
-- the as-of time is less than a day after receipt)
WITH reviews AS (
    SELECT seller, subj, ts, min(eid) AS eid FROM ev
    WHERE platform = 'taobao'
      AND action IN ('juhuasuan.second_review_passed', 'juhuasuan.second_review_failed') GROUP BY ALL
)
SELECT t.eid, t.ts, evidence([{ts: t.ts, eid: t.eid}, {ts: r.ts, eid: r.eid}])
FROM ev t
ASOF LEFT JOIN reviews r ON t.seller = r.seller AND t.subj IS NOT DISTINCT FROM r.subj AND t.ts < r.ts
WHERE t.platform = 'taobao' AND t.action = 'juhuasuan.sample_received'
  AND CASE WHEN r.eid IS NULL THEN $as_of_us - t.ts >= 86400000000
           ELSE r.ts - t.ts > 86400000000 END
"""


def run_rules(con: duckdb.DuckDBPyConnection, as_of_us: int) -> dict[str, float]:
    """Each rule's query, its violations inserted into ``violations``; seconds per rule."""
    seconds = {}
    for rule_id, query in RULES.items():
        start = time.perf_counter()
        params = {"rule_id": rule_id}
        if "$as_of_us" in query:
            params["as_of_us"] = as_of_us
        con.execute("INSERT INTO violations SELECT $rule_id, * FROM (" + query + ")", params)
        seconds[rule_id] = time.perf_counter() - start
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("events", type=Path, help="a JSON Lines file of canonical events")
    parser.add_argument("--as-of", help="the as-of time (RFC 3339); default: the latest accepted event")
    parser.add_argument("--now", help="the run's now for future timestamps (default: the wall clock)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="violations as JSON Lines")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--temp-directory", default="/tmp/handwritten/duckdb-tmp")
    parser.add_argument("--timings", action="store_true", help="print each step's and rule's seconds")
    parser.add_argument(
        "--exact-intake",
        action="store_true",
        help="read the file as numbered lines, with the product's checks that DuckDB reads a line as "
        "Python does (see READ_EXACT); rejected lines are listed with their numbers",
    )
    args = parser.parse_args(argv)

    wall = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET threads = " + str(int(args.threads)))
    con.execute("SET memory_limit = ?", [args.memory_limit])
    con.execute("SET temp_directory = ?", [args.temp_directory])
    con.execute("SET preserve_insertion_order = false")
    con.execute(SETUP)
    steps = {}

    start = time.perf_counter()
    now = args.now or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    now_us = con.execute("SELECT epoch_us(CAST(? AS TIMESTAMPTZ))", [now]).fetchone()[0]
    lines_rejected: list[tuple[int, str]] = []
    if args.exact_intake:
        con.execute("SET preserve_insertion_order = true")  # a row's place is its line number
        con.execute(READ_EXACT, {"path": str(args.events), "now_us": now_us, "parity": PARITY})
        lines_rejected = con.execute(REJECTED_LINES).fetchall()
        con.execute("DELETE FROM records WHERE reject = 'blank'")  # blank lines are no records
        con.execute("SET preserve_insertion_order = false")
    else:
        con.execute(READ, {"path": str(args.events), "now_us": now_us})
    steps["read"] = time.perf_counter() - start

    start = time.perf_counter()
    con.execute(DUPLICATES)
    as_of_us = con.execute(AS_OF, {"as_of": args.as_of}).fetchone()[0]
    counts = con.execute(COUNTS, {"as_of_us": as_of_us}).fetchone()
    rejects = con.execute(REJECTS).fetchall()
    con.execute(CLEAN, {"as_of_us": as_of_us})
    con.execute(EVENTS)
    steps["accept"] = time.perf_counter() - start

    con.execute(VIOLATIONS)
    seconds = run_rules(con, as_of_us)
    steps["rules"] = sum(seconds.values())

    start = time.perf_counter()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        "COPY (SELECT rule_id, event_id, evidence FROM violations ORDER BY rule_id, ts, event_id) "
        "TO '" + str(args.output).replace("'", "''") + "' (FORMAT json)"
    )
    steps["write"] = time.perf_counter() - start

    per_rule = dict(con.execute("SELECT rule_id, count(*) FROM violations GROUP BY ALL").fetchall())
    as_of_text = con.execute("SELECT strftime(make_timestamptz(?), '%Y-%m-%d %H:%M:%S')", [as_of_us])
    elapsed = time.perf_counter() - wall

    records, rejected, duplicates, conflicting, accepted, after_as_of = counts
    print(f"file: {args.events}")
    print(f"as-of: {as_of_text.fetchone()[0]} Asia/Shanghai")
    print(
        f"records: {records}  accepted: {accepted}  rejected: {rejected + conflicting} "
        f"(conflicting: {conflicting}{''.join(f', {r}: {n}' for r, n in rejects)})  "
        f"duplicates dropped: {duplicates}  after the as-of: {after_as_of}"
    )
    width = max(map(len, RULES))
    for rule_id in sorted(RULES):
        extra = f"  {seconds[rule_id]:.3f} s" if args.timings else ""
        print(f"  {rule_id:<{width}}  {per_rule.get(rule_id, 0):>8}{extra}")
    print(f"  {'total violations':<{width}}  {sum(per_rule.values()):>8}")
    unread = sum(1 for _, why in lines_rejected if why == "needs-exact-parse")
    if args.exact_intake:
        shown = ", ".join(f"{line}: {why}" for line, why in lines_rejected[:10])
        print(f"rejected lines: {len(lines_rejected)}{' (' + shown + ')' if shown else ''}")
    if args.timings:
        print("steps: " + ", ".join(f"{k} {v:.3f} s" for k, v in steps.items()))
    print(f"wall time: {elapsed:.3f} s  ({records / elapsed:,.0f} events/s)")
    if unread:  # the run did less than the exact intake claims: its figures are not that
        print(f"warning: {unread} lines need a strict JSON parser, which this script does not have")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
