use super::*;
use crate::model::schema::{ColumnType, Schema};
use crate::model::value::Value;
use proptest::prelude::*;
use std::borrow::Cow;
use std::collections::BTreeMap;

fn schema() -> Schema {
    Schema::of(&[
        ("pod", ColumnType::Text),
        ("minutes", ColumnType::Integer),
        ("price", ColumnType::Money),
        ("start_date", ColumnType::Date),
        ("end_date", ColumnType::Date),
        ("nhs_number", ColumnType::NhsNumber),
        ("commissioner_code", ColumnType::Text),
    ])
}

fn lists() -> BTreeMap<String, Vec<String>> {
    BTreeMap::from([("commissioners".to_string(), vec!["15N".to_string()])])
}

/// Evaluates `text` on one row given as (column, cell) pairs; absent columns are NULL. Checks
/// that [`Compiled::value_in`] gives the same.
fn eval(text: &str, cells: &[(&str, Value<'static>)]) -> Value<'static> {
    let schema = schema();
    let lists = lists();
    let mut slots = SlotMap::default();
    let expr = parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
    let compiled = compile(
        &expr,
        &mut CompileEnv {
            schema: &schema,
            lists: &lists,
            slots: &mut slots,
        },
        None,
    )
    .unwrap_or_else(|e| panic!("{text}: {e:?}"));
    let row: Vec<Value<'static>> = slots
        .columns()
        .iter()
        .map(|&c| {
            let name = &schema.columns[c].name;
            cells
                .iter()
                .find(|(n, _)| n == name)
                .map_or(Value::Null, |(_, v)| v.clone())
        })
        .collect();
    let memo = Memo::default();
    let value = compiled.eval(&row, &memo).into_owned();
    // What the pass reads (in place for a column) is what the evaluator works out.
    assert_eq!(
        *compiled.value_in(&row, &memo),
        value,
        "{text}, read by the pass"
    );
    value
}

/// A bare column, as a sum's value or a ratio's grouping mostly is, is read in place by the pass
/// (the helper checks that against the evaluator), NULL included.
#[test]
fn a_column_is_its_cell() {
    let pence = Value::Dec(rust_decimal::Decimal::new(12_345, 2));
    assert_eq!(eval("price", &[("price", pence.clone())]), pence);
    assert_eq!(eval("pod", &[("pod", text("AE"))]), text("AE"));
    assert_eq!(eval("minutes", &[]), Value::Null);
    assert_eq!(
        eval("minutes * 2", &[("minutes", Value::Int(21))]),
        Value::Int(42)
    );
}

fn error(text: &str) -> ExprError {
    let schema = schema();
    let lists = lists();
    let mut slots = SlotMap::default();
    match parse(text) {
        Err(e) => e,
        Ok(expr) => compile(
            &expr,
            &mut CompileEnv {
                schema: &schema,
                lists: &lists,
                slots: &mut slots,
            },
            Some(Want::Condition),
        )
        .expect_err(text),
    }
}

fn text(s: &'static str) -> Value<'static> {
    Value::Text(Cow::Borrowed(s))
}

fn date(s: &str) -> Value<'static> {
    Value::Date(chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

#[test]
fn precedence_follows_sql() {
    let t = Value::Bool(true);
    let f = Value::Bool(false);
    assert_eq!(eval("1 + 2 * 3 = 7", &[]), t);
    assert_eq!(eval("(1 + 2) * 3 = 9", &[]), t);
    assert_eq!(
        eval("TRUE OR TRUE AND FALSE", &[]),
        t,
        "AND binds tighter than OR"
    );
    assert_eq!(
        eval("NOT 1 = 2 AND 2 = 2", &[]),
        t,
        "NOT binds tighter than AND"
    );
    assert_eq!(eval("NOT (1 = 1 OR 2 = 2)", &[]), f);
    assert_eq!(eval("10 - 2 - 3", &[]), Value::Int(5), "left associative");
    assert_eq!(eval("-2 * 3", &[]), Value::Int(-6));
    assert_eq!(
        eval("7 / 2", &[]),
        Value::Dec(rust_decimal::Decimal::new(35, 1))
    );
    assert_eq!(eval("1 / 0", &[]), Value::Null, "division by zero is NULL");
}

#[test]
fn null_uses_three_valued_logic() {
    let t = Value::Bool(true);
    let f = Value::Bool(false);
    assert_eq!(eval("pod = 'AE'", &[]), Value::Null);
    assert_eq!(eval("pod = 'AE' OR TRUE", &[]), t);
    assert_eq!(eval("pod = 'AE' AND FALSE", &[]), f);
    assert_eq!(eval("pod = 'AE' AND TRUE", &[]), Value::Null);
    assert_eq!(eval("NOT pod = 'AE'", &[]), Value::Null);
    assert_eq!(eval("pod IS NULL", &[]), t);
    assert_eq!(eval("pod IS NOT NULL", &[("pod", text("AE"))]), t);
    assert_eq!(
        eval("NOT valid_nhs_number(nhs_number)", &[]),
        Value::Null,
        "a blank is not matched"
    );
    assert_eq!(
        eval(
            "nhs_number IS NULL OR NOT valid_nhs_number(nhs_number)",
            &[]
        ),
        t
    );
    assert_eq!(eval("coalesce(pod, 'none')", &[]), text("none"));
    assert_eq!(eval("upper(pod)", &[]), Value::Null);
}

#[test]
fn in_between_like_and_lists() {
    let t = Value::Bool(true);
    let f = Value::Bool(false);
    let ae = [("pod", text("AE"))];
    assert_eq!(eval("pod IN ('AE', 'NEL')", &ae), t);
    assert_eq!(eval("pod NOT IN ('AE', 'NEL')", &ae), f);
    assert_eq!(eval("pod NOT IN ('AE')", &[]), Value::Null);
    assert_eq!(
        eval("minutes IN (1, NULL)", &[("minutes", Value::Int(2))]),
        Value::Null,
        "no match with a NULL in the list is NULL"
    );
    assert_eq!(
        eval("minutes IN (1, 2.0)", &[("minutes", Value::Int(2))]),
        t
    );
    assert_eq!(
        eval(
            "minutes BETWEEN 240 AND 720",
            &[("minutes", Value::Int(240))]
        ),
        t
    );
    assert_eq!(
        eval(
            "minutes NOT BETWEEN 240 AND 720",
            &[("minutes", Value::Int(721))]
        ),
        t
    );
    assert_eq!(eval("pod LIKE 'A_'", &ae), t);
    assert_eq!(eval("pod LIKE 'a%'", &ae), f, "LIKE is case-sensitive");
    assert_eq!(eval("'FD01A' LIKE 'FD%A'", &[]), t);
    assert_eq!(eval("'FD01A' LIKE '%0_A'", &[]), t);
    assert_eq!(eval("'FD01A' NOT LIKE 'FD%B'", &[]), t);
    assert_eq!(
        eval(
            "commissioner_code NOT IN contract.commissioners",
            &[("commissioner_code", text("99A"))]
        ),
        t
    );
    assert_eq!(
        eval(
            "commissioner_code IN contract.commissioners",
            &[("commissioner_code", text("15N"))]
        ),
        t
    );
}

#[test]
fn dates_and_functions() {
    let row = [
        ("start_date", date("2026-04-01")),
        ("end_date", date("2026-04-11")),
    ];
    assert_eq!(
        eval("days_between(start_date, end_date)", &row),
        Value::Int(10)
    );
    assert_eq!(
        eval("start_date >= DATE '2026-04-01'", &row),
        Value::Bool(true)
    );
    assert_eq!(
        eval("start_date < '2026-04-01'", &row),
        Value::Bool(false),
        "a text literal reads as a date"
    );
    assert_eq!(eval("month(end_date)", &row), Value::Int(4));
    assert_eq!(eval("length(trim('  ab '))", &[]), Value::Int(2));
    assert_eq!(eval("lower('AB') = 'ab'", &[]), Value::Bool(true));
    assert_eq!(
        eval(
            "price * 2",
            &[("price", Value::Dec(rust_decimal::Decimal::new(1050, 2)))]
        ),
        Value::Dec(rust_decimal::Decimal::new(2100, 2))
    );
}

#[test]
fn errors_point_at_the_fault_and_say_what_was_expected() {
    let cases: &[(&str, std::ops::Range<usize>, &str)] = &[
        (
            "pdo = 'AE'",
            0..3,
            "unknown column `pdo` in dataset `activity`: did you mean `pod`?",
        ),
        ("pod = 1", 6..7, "cannot compare text with a whole number"),
        (
            "pod = 'AE' AND",
            14..14,
            "expected a value, a column name or `(`, found the end of the expression",
        ),
        (
            "minutes + 'x' > 1",
            10..13,
            "`+` needs numbers, but this is text",
        ),
        (
            "pod",
            0..3,
            "expected a condition such as `pod = 'AE'`, but this is text",
        ),
        ("pod = NULL", 6..10, "write `IS NULL`"),
        (
            "pod IN contract.services",
            7..24,
            "unknown contract list `contract.services`",
        ),
        ("foo(pod)", 0..3, "unknown function `foo`"),
        ("pod = 'AE", 6..9, "unterminated string"),
        (
            "start_date > DATE '2026-02-30'",
            18..30,
            "expected a date as 'YYYY-MM-DD'",
        ),
        (
            "pod = 'AE' pod",
            11..14,
            "unexpected `pod` after a complete expression",
        ),
        (
            "minutes BETWEEN 1",
            17..17,
            "expected AND between the two bounds of BETWEEN",
        ),
        (
            "valid_nhs_number(minutes)",
            17..24,
            "valid_nhs_number expects text, but this is a whole number",
        ),
        ("start_date - end_date > 3", 0..10, "days_between"),
        ("pod LIKE pod", 9..12, "expected a pattern in quotes"),
    ];
    for (text, span, message) in cases {
        let e = error(text);
        assert_eq!(&e.span, span, "{text}: {e:?}");
        assert!(e.message.contains(message), "{text}: {}", e.message);
    }
}

#[test]
fn keywords_are_case_insensitive() {
    assert_eq!(
        eval("pod in ('AE') and not pod is null", &[("pod", text("AE"))]),
        Value::Bool(true)
    );
}

fn arb_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("pod".to_string()),
        Just("minutes".to_string()),
        Just("'AE'".to_string()),
        Just("'it''s'".to_string()),
        (0i64..1000).prop_map(|i| i.to_string()),
        Just("DATE '2026-04-01'".to_string()),
        Just("NULL".to_string()),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                inner.clone(),
                prop::sample::select(vec!["AND", "OR", "=", "<>", "<", ">=", "+", "-", "*", "/"])
            )
                .prop_map(|(a, b, op)| format!("({a}) {op} ({b})")),
            inner.clone().prop_map(|a| format!("NOT ({a})")),
            inner.clone().prop_map(|a| format!("({a}) IS NOT NULL")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) IN ({b}, 'x')")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("({a}) NOT BETWEEN ({b}) AND ({c})")),
            inner.clone().prop_map(|a| format!("coalesce({a}, 1)")),
            inner.prop_map(|a| format!("({a}) LIKE ('A%')")),
        ]
    })
}

fn strip_spans(e: &mut Expr) {
    e.span = 0..0;
    match &mut e.kind {
        ExprKind::Column(_) | ExprKind::ContractList(_) | ExprKind::Literal(_) => {}
        ExprKind::Not(a) | ExprKind::Negate(a) | ExprKind::IsNull { expr: a, .. } => strip_spans(a),
        ExprKind::Binary(_, a, b)
        | ExprKind::Like {
            expr: a,
            pattern: b,
            ..
        } => {
            strip_spans(a);
            strip_spans(b);
        }
        ExprKind::InList { expr, list, .. } => {
            strip_spans(expr);
            list.iter_mut().for_each(strip_spans);
        }
        ExprKind::Between {
            expr, low, high, ..
        } => {
            strip_spans(expr);
            strip_spans(low);
            strip_spans(high);
        }
        ExprKind::Call {
            args, name_span, ..
        } => {
            *name_span = 0..0;
            args.iter_mut().for_each(strip_spans);
        }
    }
}

proptest! {
    #[test]
    fn parse_print_is_identity(text in arb_expr()) {
        let mut first = parse(&text).unwrap();
        let printed = first.to_string();
        let mut second = parse(&printed).unwrap();
        strip_spans(&mut first);
        strip_spans(&mut second);
        prop_assert_eq!(first, second);
    }
}

/// Conditions asked by several expressions are shared through the row's memo: each expression
/// gives the same answer as when compiled alone, row after row, with NULLs. A column compared
/// with a constant is answered in place, never shared.
#[test]
fn shared_conditions_answer_as_unshared_ones() {
    let schema = schema();
    let lists = lists();
    let texts = [
        "pod = 'AE'",
        "pod = 'AE' AND minutes > 240",
        "NOT (pod = 'AE' AND minutes > 240) OR pod IN ('AE', 'OPFU')",
        "minutes > 240",
        "pod = 'OPFU' OR pod IN ('AE', 'OPFU')",
        "pod = 'AE' AND minutes > 240",
    ];
    let compile_all = |slots: &mut SlotMap| -> Vec<Compiled> {
        texts
            .iter()
            .map(|t| {
                let mut env = CompileEnv {
                    schema: &schema,
                    lists: &lists,
                    slots,
                };
                compile(&parse(t).unwrap(), &mut env, Some(Want::Condition)).unwrap()
            })
            .collect()
    };
    let mut counting = SlotMap::default();
    let unshared = compile_all(&mut counting);
    let mut slots = counting.sharing_repeated();
    let shared = compile_all(&mut slots);
    // `pod = 'AE'` and `minutes > 240` occur four times each, and are answered in place; the
    // conjunction of the two (three times) and the list (twice) are shared.
    let memo = Memo::new(&slots);
    assert_eq!(
        slots.shared_conditions(),
        [
            "((pod) = ('AE')) AND ((minutes) > (240))",
            "(pod) IN ('AE', 'OPFU')"
        ]
    );
    assert_eq!(slots.columns(), counting.columns());
    let pods = [
        Value::Text("AE".into()),
        Value::Text("OPFU".into()),
        Value::Null,
    ];
    let minutes = [Value::Int(100), Value::Int(300), Value::Null];
    for pod in &pods {
        for m in &minutes {
            // Slots are assigned in order of first use: pod, then minutes.
            let row = [pod.clone(), m.clone()];
            memo.clear();
            for (a, b) in shared.iter().zip(&unshared) {
                assert_eq!(
                    a.eval(&row, &memo),
                    b.eval(&row, &Memo::default()),
                    "row {row:?}"
                );
            }
        }
    }
}

/// Hostile nesting is an error at its position, never a stack overflow: ten thousand
/// parentheses, NOTs, minus signs, or a chain of ten thousand ORs.
#[test]
fn deep_nesting_is_refused_at_its_position() {
    let n = 10_000;
    let cases = [
        format!("{}a = 1{}", "(".repeat(n), ")".repeat(n)),
        format!("{}a = 1", "NOT ".repeat(n)),
        format!("{}1 = 1", "- ".repeat(n)),
        vec!["a = 1"; n].join(" OR "),
    ];
    for text in cases {
        let error = crate::expr::parse(&text).expect_err("too deep");
        assert!(
            error.message.contains("nests more than 200 levels deep")
                || error.message.contains("too long"),
            "{}",
            error.message
        );
        assert!(error.span.end <= text.len());
    }
    // Two hundred levels of parentheses are still fine.
    let fine = format!("{}a = 1{}", "(".repeat(150), ")".repeat(150));
    assert!(crate::expr::parse(&fine).is_ok());
}

/// The two evaluators agree on three-valued logic: a condition *matches* a row exactly when
/// its *value* in that row is TRUE (never when it is FALSE or NULL), over generated conditions
/// and rows full of NULLs, with and without conditions shared through the memo.
mod two_evaluators {
    use super::*;

    const ATOMS: &[&str] = &[
        "pod = 'AE'",
        "pod <> 'AE'",
        "minutes > 240",
        "minutes <= 100",
        "price >= 150",
        "pod IS NULL",
        "minutes IS NOT NULL",
        "pod IN ('AE', 'EL')",
        "pod NOT IN ('AE')",
        "upper(pod) IN ('AE', 'OPFU')",
        "upper(pod) NOT IN ('EL')",
        "minutes IN (0, 240)",
        "minutes BETWEEN 100 AND 300",
        "minutes NOT BETWEEN 100 AND 300",
        "pod LIKE 'A%'",
        "valid_nhs_number(nhs_number)",
        "start_date < end_date",
        "commissioner_code IN contract.commissioners",
        "minutes + 1 > 241",
        "TRUE",
        "FALSE",
    ];

    fn condition() -> impl Strategy<Value = String> {
        let atom = proptest::sample::select(ATOMS).prop_map(str::to_string);
        atom.prop_recursive(4, 24, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) AND ({b})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) OR ({b})")),
                inner.prop_map(|a| format!("NOT ({a})")),
            ]
        })
    }

    fn cell(values: Vec<Value<'static>>) -> impl Strategy<Value = Value<'static>> {
        proptest::sample::select(values)
    }

    /// A row in schema order: pod, minutes, price, start_date, end_date, nhs_number,
    /// commissioner_code; every cell may be NULL.
    fn row() -> impl Strategy<Value = Vec<Value<'static>>> {
        let dec = |s: &str| Value::Dec(s.parse().unwrap());
        (
            cell(vec![
                text("AE"),
                text("ae"),
                text("EL"),
                text("OPFU"),
                Value::Null,
            ]),
            cell(vec![
                Value::Int(0),
                Value::Int(100),
                Value::Int(240),
                Value::Int(241),
                Value::Int(1000),
                Value::Null,
            ]),
            cell(vec![dec("0"), dec("150.00"), dec("-20.50"), Value::Null]),
            cell(vec![date("2026-04-01"), date("2026-04-30"), Value::Null]),
            cell(vec![date("2026-04-01"), date("2026-04-30"), Value::Null]),
            cell(vec![
                text("9434765919"),
                text("9434765918"),
                text(""),
                Value::Null,
            ]),
            cell(vec![text("15N"), text("99X"), Value::Null]),
        )
            .prop_map(|(a, b, c, d, e, f, g)| vec![a, b, c, d, e, f, g])
    }

    /// Compiles each of `texts` as a condition into `slots`.
    fn compile_all(texts: &[&str], slots: &mut SlotMap) -> Vec<Compiled> {
        let schema = schema();
        let lists = lists();
        texts
            .iter()
            .map(|t| {
                let mut env = CompileEnv {
                    schema: &schema,
                    lists: &lists,
                    slots,
                };
                let expr = parse(t).unwrap_or_else(|e| panic!("{t}: {e:?}"));
                compile(&expr, &mut env, Some(Want::Condition))
                    .unwrap_or_else(|e| panic!("{t}: {e:?}"))
            })
            .collect()
    }

    /// The row's cells in the order `slots` reads them.
    fn slotted(row: &[Value<'static>], slots: &SlotMap) -> Vec<Value<'static>> {
        slots.columns().iter().map(|&c| row[c].clone()).collect()
    }

    #[test]
    fn every_atom_compiles_as_a_condition() {
        compile_all(ATOMS, &mut SlotMap::default());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
        #[test]
        fn matches_is_eval_being_true(a in condition(), b in condition(), row in row()) {
            // Alone.
            let mut slots = SlotMap::default();
            let alone = compile_all(&[&a], &mut slots);
            let cells = slotted(&row, &slots);
            let memo = Memo::default();
            let value = alone[0].eval(&cells, &memo);
            prop_assert_eq!(
                alone[0].matches(&cells, &memo),
                value == Value::Bool(true),
                "{} on {:?} is {:?}", a, row, value
            );
            // Sharing the conditions it has in common with another.
            let texts = [a.as_str(), b.as_str(), a.as_str()];
            let mut counting = SlotMap::default();
            compile_all(&texts, &mut counting);
            let mut shared_slots = counting.sharing_repeated();
            let shared = compile_all(&texts, &mut shared_slots);
            let cells = slotted(&row, &shared_slots);
            let memo = Memo::new(&shared_slots);
            memo.clear();
            for (compiled, text) in shared.iter().zip(texts) {
                let matched = compiled.matches(&cells, &memo);
                prop_assert_eq!(
                    matched,
                    value_of(text, &row) == Value::Bool(true),
                    "{} (shared) on {:?}", text, row
                );
            }
        }
    }

    /// The value of `text` compiled alone, on `row`.
    fn value_of(text: &str, row: &[Value<'static>]) -> Value<'static> {
        let mut slots = SlotMap::default();
        let compiled = compile_all(&[text], &mut slots);
        compiled[0]
            .eval(&slotted(row, &slots), &Memo::default())
            .into_owned()
    }
}
