// The bill as tables ("sheets"), one model for the text report, the CSV
// files and the Excel workbook: 话费汇总 (per handset), 责任人, 部门,
// 长途登记, 声讯台, 未接来电. Cells are typed (money in 分, a time, a phone
// number as text) so that each output formats them its own way; headers
// in one language per sheet (zh, or en).

import { Bill } from "./bill"
import { CATEGORY_ZH } from "./report"
import { outcomeOf } from "./topics"

export type Lang = "zh" | "en"

export type BillCell =
    | string
    | number
    | { fen: number }
    | { time: number }
    | { phone: string }
    | undefined

export interface Sheet {
    /** File stem / sheet key (English, ASCII). */
    key: string
    title: string
    header: string[]
    rows: BillCell[][]
    /** The totals row (its first cell the label), when the sheet has one. */
    totals?: BillCell[]
}

const T = {
    summary: ["话费汇总", "Bill per handset"],
    people: ["责任人", "Responsible persons"],
    departments: ["部门", "Departments"],
    register: ["长途登记", "Long-distance register"],
    premium: ["声讯台", "Premium-rate attempts"],
    missed: ["未接来电", "Missed incoming calls"],
    handset: ["分机", "Handset"],
    name: ["名称", "Name"],
    department: ["部门", "Department"],
    responsible: ["责任人", "Responsible"],
    calls: ["通话次数", "Calls"],
    minutes: ["计费分钟", "Billed minutes"],
    amount: ["话费(元)", "Charges (CNY)"],
    premiumAttempts: ["声讯台次数", "Premium attempts"],
    fines: ["罚款(元)", "Fines (CNY)"],
    total: ["合计(元)", "Total (CNY)"],
    handsets: ["分机", "Handsets"],
    head: ["负责人", "Head"],
    sharedFines: ["部门分摊罚款(元)", "Fines shared by the department (CNY)"],
    time: ["时间", "Time"],
    number: ["号码", "Number"],
    category: ["类别", "Category"],
    seconds: ["通话秒数", "Seconds"],
    outcome: ["结果", "Outcome"],
    fine: ["罚款(元)", "Fine (CNY)"],
    chargedTo: ["承担人", "Charged to"],
    caller: ["来电号码", "Caller"],
    forExt: ["原呼叫分机", "Was for"],
    rings: ["响铃次数", "Rings"],
    sum: ["合计", "Total"],
    sharedBy: ["部门分摊", "shared by the department"],
    unpriced: ["未定价", "no tariff"],
    byHead: ["(负责人)", "(head)"],
}

const OUTCOME_ZH: Record<string, string> = {
    answered: "接通",
    busy: "忙",
    noAnswer: "无人接听",
    unreachable: "无法接通",
    rejected: "被拒绝",
    refused: "拦截",
    missed: "未接",
}

export function billSheets(bill: Bill, lang: Lang): Sheet[] {
    const i = lang === "zh" ? 0 : 1
    const t = (k: keyof typeof T) => T[k][i]
    const cat = (c: string) => (lang === "zh" ? (CATEGORY_ZH[c] ?? c) : c)
    const outcome = (o: string) => (lang === "zh" ? (OUTCOME_ZH[o] ?? o) : o)
    const cats = priceOrder(bill)
    const money = (fen: number | undefined): BillCell =>
        fen === undefined ? t("unpriced") : { fen }

    const summaryHeader = [
        t("handset"),
        t("name"),
        t("department"),
        t("responsible"),
    ]
    for (const c of cats)
        summaryHeader.push(
            `${cat(c)} ${t("calls")}`,
            `${cat(c)} ${t("minutes")}`,
            `${cat(c)} ${t("amount")}`
        )
    summaryHeader.push(
        t("calls"),
        t("minutes"),
        t("amount"),
        t("premiumAttempts"),
        t("fines"),
        t("total")
    )
    const summary: Sheet = {
        key: "handsets",
        title: t("summary"),
        header: summaryHeader,
        rows: bill.handsets.map(h => {
            const row: BillCell[] = [
                { phone: h.extension },
                h.name,
                h.department,
                h.responsible.join(", ") + (h.byHead ? " " + t("byHead") : ""),
            ]
            for (const c of cats) {
                const a = h.byCategory[c]
                const priced = bill.tariffs.includes(c)
                row.push(
                    a?.calls ?? 0,
                    a?.minutes ?? 0,
                    priced ? { fen: a?.fen ?? 0 } : t("unpriced")
                )
            }
            row.push(
                h.total.calls,
                h.total.minutes,
                { fen: h.total.fen },
                h.premiumAttempts,
                { fen: h.fines },
                { fen: h.total.fen + h.fines }
            )
            return row
        }),
    }
    const sumOf = (col: number) =>
        summary.rows.reduce((n, r) => {
            const c = r[col]
            return (
                n +
                (typeof c === "number"
                    ? c
                    : c && typeof c === "object" && "fen" in c
                      ? c.fen
                      : 0)
            )
        }, 0)
    summary.totals = summary.header.map((_, col) => {
        if (col === 0) return t("sum")
        if (col < 4) return ""
        const sample = summary.rows.find(r => r[col] !== undefined)?.[col]
        if (typeof sample === "string") return sample
        if (sample && typeof sample === "object") return { fen: sumOf(col) }
        return sumOf(col)
    })

    // per person as per handset: each category, then the totals; calls and
    // minutes of a shared handset are each sharer's, the charges split
    const peopleHeader = [t("responsible"), t("handsets")]
    for (const c of cats)
        peopleHeader.push(
            `${cat(c)} ${t("calls")}`,
            `${cat(c)} ${t("minutes")}`,
            `${cat(c)} ${t("amount")}`
        )
    peopleHeader.push(
        t("calls"),
        t("minutes"),
        t("amount"),
        t("fines"),
        t("total")
    )
    const people: Sheet = {
        key: "owners",
        title: t("people"),
        header: peopleHeader,
        rows: bill.people.map(p => {
            const row: BillCell[] = [p.name, p.handsets.join(" ")]
            for (const c of cats) {
                const a = p.byCategory[c]
                row.push(
                    a?.calls ?? 0,
                    a?.minutes ?? 0,
                    bill.tariffs.includes(c)
                        ? { fen: a?.fen ?? 0 }
                        : t("unpriced")
                )
            }
            row.push(
                p.calls,
                p.minutes,
                { fen: p.fen },
                { fen: p.fines },
                { fen: p.total }
            )
            return row
        }),
    }
    // calls and minutes of shared handsets would count twice: only money
    // is summed
    people.totals = people.header.map((_, col) => {
        if (col === 0) return t("sum")
        const sample = people.rows[0]?.[col]
        if (sample && typeof sample === "object" && "fen" in sample)
            return {
                fen: people.rows.reduce((n, r) => {
                    const c = r[col]
                    return (
                        n +
                        (c && typeof c === "object" && "fen" in c ? c.fen : 0)
                    )
                }, 0),
            }
        return ""
    })

    const departments: Sheet = {
        key: "departments",
        title: t("departments"),
        header: [
            t("department"),
            t("name"),
            t("head"),
            t("handsets"),
            t("calls"),
            t("minutes"),
            t("amount"),
            t("sharedFines"),
            t("fines"),
            t("total"),
        ],
        rows: bill.departments.map(d => [
            d.id,
            d.name,
            d.head,
            d.handsets,
            d.calls,
            d.minutes,
            { fen: d.fen },
            { fen: d.sharedFines },
            { fen: d.fines },
            { fen: d.total },
        ]),
    }
    departments.totals = [
        t("sum"),
        "",
        "",
        bill.departments.reduce((n, d) => n + d.handsets, 0),
        bill.departments.reduce((n, d) => n + d.calls, 0),
        bill.departments.reduce((n, d) => n + d.minutes, 0),
        { fen: bill.departments.reduce((n, d) => n + d.fen, 0) },
        { fen: bill.departments.reduce((n, d) => n + d.sharedFines, 0) },
        { fen: bill.departments.reduce((n, d) => n + d.fines, 0) },
        { fen: bill.departments.reduce((n, d) => n + d.total, 0) },
    ]

    const register: Sheet = {
        key: "long-distance",
        title: t("register"),
        header: [
            t("time"),
            t("handset"),
            t("number"),
            t("category"),
            t("outcome"),
            t("seconds"),
            t("minutes"),
            t("amount"),
        ],
        rows: bill.register.map(r => [
            r.start ? { time: r.start } : "",
            { phone: r.handset },
            { phone: r.number },
            cat(r.category),
            outcome(outcomeOf(r)),
            Math.floor(r.seconds),
            r.minutes,
            money(r.fen),
        ]),
    }
    register.totals = [
        t("sum"),
        "",
        "",
        "",
        "",
        bill.register.reduce((n, r) => n + Math.floor(r.seconds), 0),
        bill.register.reduce((n, r) => n + r.minutes, 0),
        { fen: bill.register.reduce((n, r) => n + (r.fen ?? 0), 0) },
    ]

    const premium: Sheet = {
        key: "premium",
        title: t("premium"),
        header: [
            t("time"),
            t("handset"),
            t("number"),
            t("department"),
            t("chargedTo"),
            t("fine"),
        ],
        rows: bill.premium.map(p => [
            p.record.start ? { time: p.record.start } : "",
            { phone: p.record.handset },
            { phone: p.record.number },
            p.department,
            p.chargedTo.length ? p.chargedTo.join(", ") : t("sharedBy"),
            { fen: p.fine },
        ]),
    }
    premium.totals = [
        t("sum"),
        "",
        "",
        "",
        "",
        { fen: bill.premium.reduce((n, p) => n + p.fine, 0) },
    ]

    const missed: Sheet = {
        key: "missed",
        title: t("missed"),
        header: [t("time"), t("handset"), t("caller"), t("forExt"), t("rings")],
        rows: bill.missed.map(r => [
            r.start ? { time: r.start } : "",
            { phone: r.handset },
            r.number ? { phone: r.number } : "",
            r.for ? { phone: r.for } : "",
            r.rings ?? 0,
        ]),
    }
    missed.totals = [t("sum"), bill.missed.length, "", "", ""]
    return [summary, people, departments, register, premium, missed]
}

/** Categories shown in the bill: priced ones, then any other with calls. */
function priceOrder(bill: Bill): string[] {
    const used = new Set<string>(bill.tariffs)
    for (const h of bill.handsets)
        for (const c of Object.keys(h.byCategory)) used.add(c)
    const order = [
        "local",
        "mobile",
        "domestic",
        "international",
        "tollfree",
        "service",
        "internal",
        "emergency",
    ]
    return [...used].sort(
        (a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99)
    )
}
