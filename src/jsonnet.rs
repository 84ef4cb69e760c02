//! Jsonnet pipeline templates, evaluated offline the way pachd evaluates them.
//!
//! `pachctl create|update pipeline --jsonnet T --arg k=v` does not evaluate the template:
//! it sends it to pachd (`RenderTemplate`), whose `pachtmpl.RenderTemplate`
//! (`src/internal/pachtmpl/pachtmpl.go`) runs go-jsonnet with every `--arg` as a
//! top-level argument *string* (`vm.TLAVar`), no external variables, no native
//! functions, and an importer that holds no local files (only `http://` and `https://`
//! imports, which pachd fetches). [`render`] does the same: a top-level function is
//! called with the arguments as strings (a template that is not a function is taken as
//! it is, and the arguments are ignored, as go-jsonnet does), `std.extVar` and
//! `std.native` fail, and every `import` is an error that says why.
//!
//! The evaluator is `rsjsonnet-lang`, chosen over `jrsonnet-evaluator` because:
//! - it is published with semver-stable releases (0.5.x), while jrsonnet's evaluator is
//!   developed as pre-releases (0.5.0-pre98 today; its last stable release is 0.4.2)
//!   whose API may change between any two of them;
//! - it runs the official jsonnet test suite and `#![forbid(unsafe_code)]`, which matters
//!   for code that evaluates repository content in a git hook;
//! - its only parser dependency is `saphyr-parser`, which pachhook already uses;
//! - it exposes the evaluation limit we need (`set_max_stack`) and returns errors as data
//!   with spans, so messages point at the template's line;
//! - speed did not decide: on the 18 real templates of the corpus plus the project's 3,
//!   each CLI run 20 times on this (shared, loaded) 2-core machine, a pass over all 21
//!   took 0.47 s with rsjsonnet and 0.31 s with jrsonnet, 10-30 ms per run, most of it
//!   process start; both gave the same JSON on every template that renders. In
//!   pachhook the evaluation is in-process (`scripts/bench-render.sh`).
//!
//! One difference remains, and the differential test against go-jsonnet
//! (`tests/it/jsonnet.rs`) is how it was found: a fraction turned into a *string*
//! (`std.toString(0.1)`, `'%s' % x`, `'a' + 0.1`) is the shortest form here (`0.1`) and
//! 17 significant digits in go-jsonnet (`0.10000000000000001`). Numbers that stay
//! numbers are printed as go-jsonnet prints them.
//!
//! Evaluation is bounded: call depth ([`Limits::stack`], go-jsonnet's own default is
//! 500), wall time ([`Limits::time`]: the evaluation runs on its own thread, which is
//! abandoned when time runs out, so a template that loops forever ends with an error,
//! never a hang) and output size ([`Limits::output`]).

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::Duration;

use rsjsonnet_lang::arena::Arena;
use rsjsonnet_lang::interner::InternedStr;
use rsjsonnet_lang::lexer::LexError;
use rsjsonnet_lang::parser::ParseError;
use rsjsonnet_lang::program::{
    AnalyzeError, Callbacks, EvalError, EvalErrorKind, EvalStackTraceItem, ImportError, LoadError,
    NativeError, Program, Thunk, Value,
};
use rsjsonnet_lang::span::{SpanContextId, SpanId};

use crate::source::Pos;

/// How far an evaluation may go.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Nested calls and evaluations.
    pub stack: usize,
    /// Wall time of one evaluation.
    pub time: Duration,
    /// Bytes of JSON produced.
    pub output: usize,
    /// Bytes of address space of the evaluating process (`isolated`), which counts the
    /// evaluator's heap and stack and the program itself.
    pub memory: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            stack: 500,
            time: Duration::from_secs(10),
            output: 10 << 20,
            memory: 1 << 30,
        }
    }
}

/// Why a template did not render, and where in the template, when known.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderError {
    pub message: String,
    pub pos: Option<Pos>,
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pos {
            Some(pos) => write!(f, "{}:{}: {}", pos.line, pos.column, self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for RenderError {}

/// Parses `NAME=VALUE` the way pachctl's `pachtmpl.ParseArgs` does: split at the first
/// `=`; a later argument with the same name replaces an earlier one.
pub fn parse_arg(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((name, value)) => Ok((name.to_string(), value.to_string())),
        None => Err(format!(
            "invalid template argument `{arg}`: write it as NAME=VALUE"
        )),
    }
}

/// Renders a template with its arguments to the JSON text pachd would return
/// (go-jsonnet's layout: three-space indentation, keys sorted, a final newline).
pub fn render(
    template: &[u8],
    args: &BTreeMap<String, String>,
    limits: Limits,
) -> Result<String, RenderError> {
    match isolated::exe() {
        Some(exe) => isolated::render(exe, template, args, limits),
        None => render_here(template, args, limits),
    }
}

/// `render` in this process, on a thread of its own: the time bound abandons the
/// thread rather than stopping it, and memory is not bounded. The pachhook binary
/// renders in a child process instead (`isolated`), where this runs.
fn render_here(
    template: &[u8],
    args: &BTreeMap<String, String>,
    limits: Limits,
) -> Result<String, RenderError> {
    let (tx, rx) = mpsc::channel();
    let template = template.to_vec();
    let args = args.clone();
    let spawned = std::thread::Builder::new()
        .name("jsonnet".into())
        // Deep templates recurse in the evaluator; give it room below the stack limit.
        .stack_size(64 << 20)
        .spawn(move || {
            let _ = tx.send(evaluate(&template, &args, limits));
        });
    if let Err(e) = spawned {
        return Err(RenderError {
            message: format!("cannot start the template evaluation: {e}"),
            pos: None,
        });
    }
    match rx.recv_timeout(limits.time) {
        Ok(result) => result,
        // The thread is left to finish on its own: nothing waits for it, and the process
        // ends without it.
        Err(mpsc::RecvTimeoutError::Timeout) => Err(RenderError {
            message: format!(
                "the template did not finish within {} seconds: it loops, or builds \
                 something very large",
                limits.time.as_secs_f64()
            ),
            pos: None,
        }),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(RenderError {
            message: "the template evaluation stopped unexpectedly".into(),
            pos: None,
        }),
    }
}

/// Reads a template without evaluating it: syntax and names, for a template that no
/// `[[template]]` instance gives arguments to.
pub fn syntax(template: &[u8]) -> Result<(), RenderError> {
    let arena = Arena::new();
    let mut program = Program::new(&arena);
    let (ctx, _) = program
        .span_manager_mut()
        .insert_source_context(template.len());
    let at = Locator { template, ctx };
    program
        .load_source(ctx, template, true, "main")
        .map(|_| ())
        .map_err(|e| at.load_error(&program, &e))
}

fn evaluate(
    template: &[u8],
    args: &BTreeMap<String, String>,
    limits: Limits,
) -> Result<String, RenderError> {
    let arena = Arena::new();
    let mut program = Program::new(&arena);
    program.set_max_stack(limits.stack);
    let (ctx, _) = program
        .span_manager_mut()
        .insert_source_context(template.len());
    let at = Locator { template, ctx };
    let thunk = program
        .load_source(ctx, template, true, "main")
        .map_err(|e| at.load_error(&program, &e))?;
    let mut callbacks = Offline;
    let value = program
        .eval_value(&thunk, &mut callbacks)
        .map_err(|e| at.eval_error(&program, &e))?;
    let value = if value.is_function() {
        let function = program.value_to_thunk(&value);
        let named: Vec<(InternedStr<'_>, Thunk<'_>)> = args
            .iter()
            .map(|(name, text)| {
                let name = program.intern_str(name);
                (name, program.value_to_thunk(&Value::string(text)))
            })
            .collect();
        program
            .eval_call(&function, &[], &named, &mut callbacks)
            .map_err(|e| at.eval_error(&program, &e))?
    } else {
        value
    };
    let json = program
        .manifest_json(&value, true)
        .map_err(|e| at.eval_error(&program, &e))?;
    if json.len() > limits.output {
        return Err(RenderError {
            message: format!(
                "the template produced {} MB of JSON, more than the {} MB a spec may be",
                json.len() >> 20,
                limits.output >> 20
            ),
            pos: None,
        });
    }
    // Numbers as go-jsonnet prints them (`%.0f` for integers, `%.17g` otherwise), so
    // that what pachhook checks and deploys is byte for byte what pachd renders: the two
    // evaluators lay out JSON alike but for numbers, which differ for integers above
    // 2^53 and for most fractions.
    let mut json = go_numbers(&json);
    json.push('\n');
    Ok(json)
}

/// Rewrites every number token of a JSON text (outside strings) in go-jsonnet's form.
fn go_numbers(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut chars = json.char_indices().peekable();
    let mut in_string = false;
    while let Some((i, c)) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        out.push(escaped);
                    }
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        if c == '-' || c.is_ascii_digit() {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if d.is_ascii_digit() || matches!(d, '.' | 'e' | 'E' | '+' | '-') {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let token = &json[i..end];
            match token.parse::<f64>() {
                Ok(v) => out.push_str(&go_number(v)),
                Err(_) => out.push_str(token),
            }
            continue;
        }
        in_string = c == '"';
        out.push(c);
    }
    out
}

/// go-jsonnet's `unparseNumber`: integers in full (`%.0f`), others as `%.17g`.
fn go_number(v: f64) -> String {
    if v == v.floor() {
        return format!("{v:.0}");
    }
    // `%.17g`: 17 significant digits, trailing zeros dropped, exponent form when the
    // exponent is below -4 or at least 17.
    let sci = format!("{v:.16e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..17).contains(&exp) {
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let decimals = usize::try_from(16 - exp).unwrap_or(0);
    let fixed = format!("{v:.decimals$}");
    if fixed.contains('.') {
        fixed
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        fixed
    }
}

/// What pachd's importer offers: no local files, no native functions.
struct Offline;

impl<'p> Callbacks<'p> for Offline {
    fn import(
        &mut self,
        _: &mut Program<'p>,
        _: SpanId,
        _: &str,
    ) -> Result<Thunk<'p>, ImportError> {
        Err(ImportError)
    }

    fn import_str(
        &mut self,
        _: &mut Program<'p>,
        _: SpanId,
        _: &str,
    ) -> Result<String, ImportError> {
        Err(ImportError)
    }

    fn import_bin(
        &mut self,
        _: &mut Program<'p>,
        _: SpanId,
        _: &str,
    ) -> Result<Vec<u8>, ImportError> {
        Err(ImportError)
    }

    fn trace(&mut self, _: &mut Program<'p>, _: &str, _: &[EvalStackTraceItem]) {}

    fn native_call(
        &mut self,
        _: &mut Program<'p>,
        _: InternedStr<'p>,
        _: &[Value<'p>],
    ) -> Result<Value<'p>, NativeError> {
        Err(NativeError)
    }
}

/// Turns the evaluator's spans into positions in the template.
struct Locator<'a> {
    template: &'a [u8],
    ctx: SpanContextId,
}

impl Locator<'_> {
    fn pos(&self, program: &Program<'_>, span: SpanId) -> Option<Pos> {
        let (ctx, start, _) = program.span_manager().get_span(span);
        (ctx == self.ctx).then(|| Pos::at(self.template, start))
    }

    fn error(&self, program: &Program<'_>, span: Option<SpanId>, message: String) -> RenderError {
        RenderError {
            // Messages quote the template (`error 'text'`): its control characters are
            // escaped, never sent to a terminal.
            message: crate::escape::escape(&message).into_owned(),
            pos: span.and_then(|s| self.pos(program, s)),
        }
    }

    fn load_error(&self, program: &Program<'_>, e: &LoadError) -> RenderError {
        let (span, message) = match e {
            LoadError::Lex(e) => lex_error(e),
            LoadError::Parse(ParseError::Expected { span, instead, .. }) => (
                *span,
                format!(
                    "syntax error: unexpected {}",
                    format!("{instead:?}").to_lowercase()
                ),
            ),
            LoadError::Analyze(e) => analyze_error(e),
        };
        self.error(program, Some(span), message)
    }

    fn eval_error(&self, program: &Program<'_>, e: &EvalError) -> RenderError {
        let (span, message) = eval_message(&e.kind);
        // Without a span of its own, the innermost place of the template on the stack.
        let span = span.or_else(|| {
            e.stack_trace.iter().find_map(|item| match item {
                EvalStackTraceItem::Expr { span }
                | EvalStackTraceItem::Variable { span, .. }
                | EvalStackTraceItem::Import { span } => self.pos(program, *span).map(|_| *span),
                EvalStackTraceItem::Call {
                    span: Some(span), ..
                }
                | EvalStackTraceItem::ArrayItem {
                    span: Some(span), ..
                }
                | EvalStackTraceItem::ObjectField {
                    span: Some(span), ..
                } => self.pos(program, *span).map(|_| *span),
                _ => None,
            })
        });
        self.error(program, span, message)
    }
}

fn lex_error(e: &LexError) -> (SpanId, String) {
    let what = format!("{e:?}");
    let kind = what.split([' ', '(', '{']).next().unwrap_or_default();
    let span = match e {
        LexError::InvalidChar { span, .. }
        | LexError::InvalidUtf8 { span, .. }
        | LexError::UnfinishedMultilineComment { span }
        | LexError::LeadingZeroInNumber { span }
        | LexError::MissingFracDigits { span }
        | LexError::MissingExpDigits { span }
        | LexError::MissingDigitAfterUnderscore { span }
        | LexError::ExpOverflow { span }
        | LexError::InvalidEscapeInString { span, .. }
        | LexError::IncompleteUnicodeEscape { span }
        | LexError::InvalidUtf16EscapeSequence { span, .. }
        | LexError::UnfinishedString { span }
        | LexError::MissingLineBreakAfterTextBlockStart { span }
        | LexError::MissingWhitespaceTextBlockStart { span }
        | LexError::InvalidTextBlockTermination { span } => *span,
    };
    (span, format!("syntax error: {}", words(kind)))
}

fn analyze_error(e: &AnalyzeError) -> (SpanId, String) {
    match e {
        AnalyzeError::UnknownVariable { span, name } => {
            (*span, format!("unknown variable `{name}`"))
        }
        AnalyzeError::SelfOutsideObject { self_span: span } => {
            (*span, "`self` outside an object".into())
        }
        AnalyzeError::SuperOutsideObject { super_span: span } => {
            (*span, "`super` outside an object".into())
        }
        AnalyzeError::DollarOutsideObject { dollar_span: span } => {
            (*span, "`$` outside an object".into())
        }
        AnalyzeError::RepeatedLocalName {
            repeated_span: span,
            name,
            ..
        } => (*span, format!("local `{name}` defined twice")),
        AnalyzeError::RepeatedFieldName {
            repeated_span: span,
            name,
            ..
        } => (*span, format!("field `{name}` defined twice")),
        AnalyzeError::RepeatedParamName {
            repeated_span: span,
            name,
            ..
        } => (*span, format!("parameter `{name}` defined twice")),
        AnalyzeError::PositionalArgAfterNamed { arg_span: span } => {
            (*span, "positional argument after a named one".into())
        }
        AnalyzeError::TextBlockAsImportPath { span }
        | AnalyzeError::ComputedImportPath { span } => {
            (*span, "an import path must be a string literal".into())
        }
    }
}

/// The message for an evaluation error, and its own span when it has one.
fn eval_message(kind: &EvalErrorKind) -> (Option<SpanId>, String) {
    use EvalErrorKind as K;
    match kind {
        K::StackOverflow => (
            None,
            "the template recursed too deeply (stack overflow): it loops, or nests calls \
             deeper than pachhook allows"
                .into(),
        ),
        K::InfiniteRecursion => (None, "infinite recursion".into()),
        K::ExplicitError { span, message } => (Some(*span), format!("error: {message}")),
        K::AssertFailed { span, message } => (
            Some(*span),
            match message {
                Some(m) => format!("assertion failed: {m}"),
                None => "assertion failed".into(),
            },
        ),
        K::ImportFailed { span, path } => (Some(*span), import_message(path)),
        K::UnknownExtVar { name } => (
            None,
            format!(
                "`std.extVar(\"{name}\")`: pachd renders templates without external \
                 variables; make `{name}` a parameter of the template's top-level function \
                 and pass it with --arg {name}=VALUE"
            ),
        ),
        K::NativeCallFailed => (
            None,
            "`std.native`: pachd renders templates without native functions".into(),
        ),
        K::UnknownObjectField { span, field_name } => {
            (Some(*span), format!("field `{field_name}` does not exist"))
        }
        K::CallParamNotBound { span, param_name } => (
            *span,
            format!(
                "the template needs the argument `{param_name}`: pass it with --arg \
                 {param_name}=VALUE"
            ),
        ),
        K::UnknownCallParam { span, param_name } => (
            *span,
            format!("the template has no parameter `{param_name}`"),
        ),
        K::TooManyCallArgs { span, num_params } => (
            *span,
            format!("too many arguments: the function takes {num_params}"),
        ),
        K::InvalidStdFuncArgType {
            func_name,
            arg_index,
            expected_types,
            got_type,
        } => (
            None,
            format!(
                "`std.{func_name}`: argument {} must be {}, not {}",
                arg_index + 1,
                expected_types
                    .iter()
                    .map(|t| format!("{t:?}").to_lowercase())
                    .collect::<Vec<_>>()
                    .join(" or "),
                format!("{got_type:?}").to_lowercase()
            ),
        ),
        K::InvalidBinaryOpTypes {
            span,
            op,
            lhs_type,
            rhs_type,
        } => (
            *span,
            format!(
                "operator {op:?} cannot combine {} and {}",
                format!("{lhs_type:?}").to_lowercase(),
                format!("{rhs_type:?}").to_lowercase()
            ),
        ),
        K::ManifestFunction => (
            None,
            "the template returns a function where JSON is expected".into(),
        ),
        K::Other { span, message } => (*span, message.clone()),
        other => {
            let what = format!("{other:?}");
            let name = what.split([' ', '(', '{']).next().unwrap_or_default();
            (span_of(other), words(name))
        }
    }
}

fn span_of(kind: &EvalErrorKind) -> Option<SpanId> {
    use EvalErrorKind as K;
    match kind {
        K::InvalidIndexedType { span, .. }
        | K::InvalidSlicedType { span, .. }
        | K::SliceIndexOrStepIsNotNumber { span, .. }
        | K::StringIndexIsNotNumber { span, .. }
        | K::ArrayIndexIsNotNumber { span, .. }
        | K::NumericIndexIsNotValid { span, .. }
        | K::NumericIndexOutOfRange { span, .. }
        | K::ObjectIndexIsNotString { span, .. }
        | K::RepeatedFieldName { span, .. }
        | K::FieldNameIsNotString { span, .. }
        | K::FieldOfNonObject { span }
        | K::SuperWithoutSuperObject { span }
        | K::ForSpecValueIsNotArray { span, .. }
        | K::CondIsNotBool { span, .. }
        | K::InvalidUnaryOpType { span, .. } => Some(*span),
        K::CalleeIsNotFunction { span, .. }
        | K::RepeatedCallParam { span, .. }
        | K::NumberNotBitwiseSafe { span }
        | K::NumberOverflow { span }
        | K::NumberNan { span }
        | K::DivByZero { span }
        | K::ShiftByNegative { span } => *span,
        _ => None,
    }
}

fn import_message(path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        format!(
            "`import \"{path}\"`: pachd fetches http(s) imports when it renders the \
             template, but pachhook renders offline and does not: inline what it imports \
             to check the template"
        )
    } else {
        format!(
            "`import \"{path}\"`: pachd renders templates without local files (pachctl \
             sends only the template), so this import fails on the cluster too: inline \
             what it imports, or pass the value as an argument"
        )
    }
}

/// `UnfinishedString` → "unfinished string".
fn words(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push(' ');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

pub mod isolated;
#[cfg(test)]
mod tests;
