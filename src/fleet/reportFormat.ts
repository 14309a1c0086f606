// The report as text tables for the terminal and as CSV files for finance
// (FILE-handsets.csv, FILE-departments.csv, FILE-long-distance.csv).

import { existsSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { asText, Cell, toCsv } from "./csv"
import {
    CATEGORY_ZH,
    NAMES,
    Report,
    Row,
    duration,
    minutes,
    percent,
    usedCategories,
} from "./report"
import { renderTable } from "./table"
import { billedMinutes } from "./pricing"
import { outcomeOf } from "./topics"
import { renderRules, rulesCsv } from "./reportRules"

const callsAndMinutes = (n: number, s: number) =>
    n === 0 ? "-" : `${n} / ${minutes(s).toFixed(1)}`

const count = (n: number | undefined) => String(n || "-")

function rowTail(r: Row): string[] {
    return [
        count(r.premium),
        count(r.otherBlocked),
        ...NAMES.outcomes.map(o => count(r.incoming[o])),
        count(r.callsEnded),
        percent(r.callerOnTimePercent),
    ]
}

// the handset's view (incoming), then the caller's (caller): INCOMING_LEGEND
const TAIL_HEADER = [
    "premium",
    "other blocked",
    "on time",
    "late",
    "forwarded",
    "missed",
    "ended",
    "≤3 rings",
]

/** What the incoming columns mean, under the handsets table. */
export const INCOMING_LEGEND = [
    "Incoming calls (rule (一)8, answer within three rings):",
    "  the handset's view, who let it ring: on time = answered within 3 of its own rings, late = later,",
    "    forwarded = passed on unanswered, missed = the caller gave up while it rang;",
    "  the caller's view: ended = calls that ended at the handset (answered or given up), ≤3 rings = the",
    "    share of them answered within 3 rings of the caller's first ring, counting every earlier hop's rings.",
]

/** The site's calls from the caller's view, one line. */
function siteIncoming(t: Row): string {
    if (t.callsEnded === 0)
        return "Site: no incoming call ended at a handset this month."
    const c = t.caller
    return `Site: ${t.callsEnded} incoming calls ended; ${c["onTime"]} answered within 3 rings of the caller's first ring (${percent(t.callerOnTimePercent)}), ${c["late"]} later, ${c["missed"]} given up by the caller.`
}

export function renderReportText(r: Report): string {
    const out: string[] = []
    const policy = r.policy
        ? `; policy ${r.policy.file} (version ${r.policy.version})`
        : ""
    out.push(
        `DialGuard report: site ${r.site}, month ${r.month} (Beijing time)`,
        `boards: ${r.boards.join(", ") || "none"}${policy}`,
        ""
    )
    const rows: Row[] = [...r.handsets]
    const cats = usedCategories(rows)
    const catHeader = [...cats, "total"]
    const catCells = (x: Row) => [
        ...cats.map(c => callsAndMinutes(x.calls[c] ?? 0, x.seconds[c] ?? 0)),
        callsAndMinutes(x.totalCalls, x.totalSeconds),
    ]
    const nameCols = r.policy ? 3 : 1
    const right = (first: number, n: number) =>
        Array.from({ length: n }, (_, i) => first + i)

    out.push(
        "Handsets (calls / minutes; premium = blocked premium-line attempts, rule (一)5)"
    )
    if (r.handsets.length === 0) out.push("  no counters for this month", "")
    else {
        const header = r.policy
            ? ["handset", "name", "department", ...catHeader, ...TAIL_HEADER]
            : ["handset", ...catHeader, ...TAIL_HEADER]
        const body = r.handsets.map(h => [
            h.extension,
            ...(r.policy ? [h.name, h.departmentName || h.department] : []),
            ...catCells(h),
            ...rowTail(h),
        ])
        out.push(
            renderTable(
                header,
                body,
                right(nameCols, catHeader.length + TAIL_HEADER.length)
            )
        )
    }

    out.push(...INCOMING_LEGEND, siteIncoming(r.total), "")

    if (r.departments) {
        out.push("Departments")
        const header = ["department", "handsets", ...catHeader, ...TAIL_HEADER]
        const body = r.departments.map(d => [
            d.name ? `${d.name} (${d.id})` : d.id,
            String(d.handsets),
            ...catCells(d),
            ...rowTail(d),
        ])
        out.push(
            renderTable(
                header,
                body,
                right(1, 1 + catHeader.length + TAIL_HEADER.length)
            )
        )
    } else
        out.push(
            "Departments: give --policy FILE to map extensions to departments",
            ""
        )

    out.push("Premium-line attempts (rule (一)5; blocked, never dialled)")
    if (r.premium.length === 0) out.push("  none", "")
    else
        out.push(
            renderTable(
                ["handset", "name", "department", "attempts"],
                r.premium.map(p => [
                    p.extension,
                    p.name,
                    p.department,
                    String(p.attempts),
                ]),
                [3]
            )
        )

    if (!r.register)
        out.push(
            "Long-distance register (rule (一)4): not included; give --calls DIR (the folder `dialguard collect` writes)"
        )
    else {
        const reg = r.register
        const flagged = reg.calls.some(c => c.owner || c.private)
        out.push(
            `Long-distance register (rule (一)4), ${reg.calls.length} calls from ${reg.file}`
        )
        if (reg.calls.length)
            out.push(
                renderTable(
                    [
                        "start (Beijing)",
                        "handset",
                        "department",
                        "number",
                        "category",
                        "duration",
                        // issue 12: a code's owner, a private call
                        ...(flagged ? ["note"] : []),
                    ],
                    reg.calls.map(c => [
                        c.time || "(time unknown)",
                        c.handset,
                        c.department,
                        c.number,
                        c.category,
                        duration(c.seconds),
                        ...(flagged ? [callNote(c)] : []),
                    ]),
                    [5]
                ).trimEnd()
            )
        if (reg.counted !== reg.calls.length)
            out.push(
                `note: the boards counted ${reg.counted} long-distance calls this month, the register holds ${reg.calls.length}` +
                    (reg.counted > reg.calls.length
                        ? " (was `dialguard collect` running all month?)"
                        : "")
            )
    }
    out.push(...renderRules(r.rules))
    for (const u of r.unknownMonth)
        out.push(
            `note: board ${u.board} also counted ${u.calls} calls before it knew the date (month "unknown"); they are not in this month`
        )
    return out.join("\n").replace(/\n*$/, "\n")
}

/** Issue 12: "code: 王经理", "private", both, or "". */
function callNote(c: { owner?: string; private?: boolean }): string {
    const parts: string[] = []
    if (c.owner) parts.push("code: " + c.owner)
    if (c.private) parts.push("private")
    return parts.join(", ")
}

// ---------------------------------------------------------------- CSV

// For scripts: one language per file (--lang, as the bill's sheets), the
// same columns every month, whole numbers: the board's talk seconds and,
// with the call records, whole billed minutes (every started minute, as the
// bill and the register count them), never decimal minutes.

const H = {
    handset: ["分机", "handset"],
    name: ["名称", "name"],
    departmentId: ["部门编号", "department"],
    department: ["部门", "department name"],
    boards: ["设备", "boards"],
    handsets: ["分机数", "handsets"],
    calls: ["通话次数", "calls"],
    seconds: ["通话秒数", "seconds"],
    minutes: ["计费分钟", "billed minutes"],
    total: ["合计", "total"],
    premium: ["声讯台拦截", "premium attempts"],
    blocked: ["拦截", "blocked"],
    onTime: ["三声内接听", "answered within 3 rings"],
    late: ["超过三声接听", "answered later"],
    onTimePercent: ["三声内接听率(%)", "within 3 rings %"],
    forwarded: ["转接", "forwarded"],
    missed: ["未接", "missed"],
    ended: ["来电(止于本机)", "calls ended here"],
    callerOnTime: ["来电三声内接听", "caller: answered within 3 rings"],
    callerLate: ["来电超过三声接听", "caller: answered later"],
    callerMissed: ["来电放弃", "caller: gave up"],
    callerPercent: ["来电三声内接听率(%)", "caller: within 3 rings %"],
    start: ["开始时间(北京时间)", "start (Beijing)"],
    number: ["号码", "number"],
    category: ["类别", "category"],
    duration: ["时长", "duration"],
    board: ["设备", "board"],
    id: ["记录编号", "id"],
    codeOwner: ["授权码使用人", "code owner"],
    private: ["私人电话", "private"],
    privateYes: ["是", "private"],
}

/** Chinese names of the block codes other than premium. */
const CODE_ZH: Record<string, string> = {
    class: "超出权限",
    receiveOnly: "只可接听",
    suspended: "停机",
    invalid: "无效号码",
    siteBlocked: "全站禁拨",
    hours: "非工作时间",
}

type Lang = "zh" | "en"

function words(lang: Lang) {
    const i = lang === "zh" ? 0 : 1
    const t = (k: keyof typeof H) => H[k][i]
    const cat = (c: string) => (lang === "zh" ? (CATEGORY_ZH[c] ?? c) : c)
    const code = (c: string) =>
        lang === "zh" ? `${t("blocked")} ${CODE_ZH[c] ?? c}` : `blocked ${c}`
    return { t, cat, code }
}

function csvCounts(r: Row): Cell[] {
    const cells: Cell[] = []
    for (const c of NAMES.categories)
        cells.push(r.calls[c] ?? 0, r.seconds[c] ?? 0, r.billedMinutes?.[c])
    cells.push(r.totalCalls, r.totalSeconds, r.totalBilledMinutes, r.premium)
    for (const code of NAMES.codes)
        if (code !== "premium") cells.push(r.blocked[code] ?? 0)
    cells.push(
        r.incoming["onTime"] ?? 0,
        r.incoming["late"] ?? 0,
        r.onTimePercent,
        r.incoming["forwarded"] ?? 0,
        r.incoming["missed"] ?? 0,
        r.callsEnded,
        r.caller["onTime"] ?? 0,
        r.caller["late"] ?? 0,
        r.caller["missed"] ?? 0,
        r.callerOnTimePercent
    )
    return cells
}

function csvCountHeader(lang: Lang): string[] {
    const { t, cat, code } = words(lang)
    const h: string[] = []
    for (const c of [...NAMES.categories.map(cat), t("total")])
        h.push(
            `${c} ${t("calls")}`,
            `${c} ${t("seconds")}`,
            `${c} ${t("minutes")}`
        )
    h.push(t("premium"))
    for (const c of NAMES.codes) if (c !== "premium") h.push(code(c))
    h.push(
        t("onTime"),
        t("late"),
        t("onTimePercent"),
        t("forwarded"),
        t("missed"),
        t("ended"),
        t("callerOnTime"),
        t("callerLate"),
        t("callerMissed"),
        t("callerPercent")
    )
    return h
}

export function handsetsCsv(r: Report, lang: Lang = "zh"): string {
    const { t } = words(lang)
    const header = [
        t("handset"),
        t("name"),
        t("departmentId"),
        t("department"),
        t("boards"),
        ...csvCountHeader(lang),
    ]
    const rows = r.handsets.map(h => [
        h.extension,
        h.name,
        h.department,
        h.departmentName,
        h.boards.join(" "),
        ...csvCounts(h),
    ])
    return toCsv(header, rows)
}

export function departmentsCsv(r: Report, lang: Lang = "zh"): string {
    const { t } = words(lang)
    const header = [
        t("departmentId"),
        t("department"),
        t("handsets"),
        ...csvCountHeader(lang),
    ]
    const rows = (r.departments ?? []).map(d => [
        d.id,
        d.name,
        d.handsets,
        ...csvCounts(d),
    ])
    return toCsv(header, rows)
}

export function registerCsv(r: Report, lang: Lang = "zh"): string {
    const { t, cat } = words(lang)
    const header = [
        t("start"),
        t("handset"),
        t("department"),
        t("number"),
        t("category"),
        t("seconds"),
        t("duration"),
        t("minutes"),
        t("board"),
        t("id"),
        t("codeOwner"),
        t("private"),
    ]
    const rows = (r.register?.calls ?? []).map(c => [
        c.time,
        c.handset,
        c.department,
        asText(c.number),
        cat(c.category),
        c.seconds,
        duration(c.seconds),
        c.dir !== "in" && outcomeOf(c) === "answered"
            ? billedMinutes(c.seconds)
            : 0,
        c.board,
        c.id,
        c.owner ?? "",
        c.private ? t("privateYes") : "",
    ])
    return toCsv(header, rows)
}

/** The CSV files for `base` ("nov.csv" → nov-handsets.csv, ...): written, listed. */
/**
 * What the CSV files' names start with: FILE without its ".csv", or for a
 * folder (a path ending in "/", or an existing directory) DIR/<site>-<month>.
 */
export function csvStem(target: string, r: Report): string {
    const folder =
        /[\\/]$/.test(target) ||
        (existsSync(target) && statSync(target).isDirectory())
    return folder
        ? join(target, `${r.site}-${r.month}`)
        : target.replace(/\.csv$/i, "")
}

export function writeReportCsv(
    r: Report,
    target: string,
    lang: Lang = "zh"
): string[] {
    const stem = csvStem(target, r)
    const files: [string, string][] = [
        [`${stem}-handsets.csv`, handsetsCsv(r, lang)],
    ]
    if (r.departments)
        files.push([`${stem}-departments.csv`, departmentsCsv(r, lang)])
    if (r.register)
        files.push([`${stem}-long-distance.csv`, registerCsv(r, lang)])
    if (r.rules.handsets.length)
        files.push([`${stem}-office-rules.csv`, rulesCsv(r.rules, lang)])
    for (const [file, text] of files) writeFileSync(file, text, "utf8")
    return files.map(f => f[0])
}
