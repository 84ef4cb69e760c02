//! `.dockerignore` as the docker CLI reads and applies it, so that deploy sends the
//! engine exactly the files `docker build` of a checkout would send.
//!
//! Why our own code: no maintained crate implements Docker's matcher (crates.io has
//! gitignore matchers, whose grammar differs, and `use-dockerignore`, which only
//! classifies lines), and `globset`, used before, reads `{a,b}` as alternation,
//! `[!a]` as a negated class and keeps a BOM in the first pattern: files went into
//! images that `docker build` leaves out. What is written here follows moby's
//! `patternmatcher` and `patternmatcher/ignorefile` (docker CLI 28) and the CLI's
//! `TrimBuildFilesFromExcludes`; the differential test `deploy_docker_oracle` holds it
//! against the real CLI.
//!
//! - Reading: the first line loses a UTF-8 BOM; lines end at `\n` (a `\r` before it is
//!   dropped); a line whose first byte is `#` is a comment (tested before trimming, so
//!   `  #x` is the pattern `#x`); lines are trimmed; `!` makes an exception; each pattern
//!   is cleaned like Go's `filepath.Clean` and loses a leading `/`.
//! - A pattern is matched the way moby compiles it: a literal pattern compares whole
//!   paths, `**` at the start or end of an otherwise literal pattern compares a suffix
//!   or prefix, anything else is a Go regular expression in which `*` is `[^/]*`, `?`
//!   is `[^/]`, `**/` is `(.*/)?`, `.+()|{}$` are literal and `[...]` is a regular
//!   expression class (`[^a]` negated, `[!a]` the set of `!` and `a`).
//! - A path is excluded by the last pattern that matches it or one of its parent
//!   directories (`Walker::entry` carries the parents' results down the walk, as
//!   moby's `MatchesUsingParentResults` does).
//! - An excluded directory is still entered when an exception's text starts with the
//!   directory's path followed by `/` (a literal prefix test, as the CLI does).

use anyhow::{Result, anyhow, bail};

/// The patterns of one `.dockerignore`, plus the exceptions the CLI adds.
#[derive(Clone, Debug, Default)]
pub struct Patterns {
    rules: Vec<Rule>,
}

#[derive(Clone, Debug)]
struct Rule {
    exclusion: bool,
    /// The cleaned pattern without its `!`, as bytes (Go compares strings bytewise).
    text: Vec<u8>,
    how: How,
}

#[derive(Clone, Debug)]
enum How {
    Exact,
    /// `text` without its trailing `**`.
    Prefix,
    /// `text` without its leading `**`.
    Suffix,
    Regex(Vec<Tok>),
}

/// One piece of the regular expression moby builds.
#[derive(Clone, Debug)]
enum Tok {
    Lit(char),
    /// `[^/]*`
    Star,
    /// `[^/]`
    One,
    /// `(.*/)?`
    Dirs,
    /// `.*`
    Rest,
    /// `^` left in the expression: matches only at the start.
    Begin,
    Class(Class),
}

#[derive(Clone, Debug)]
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl Class {
    fn contains(&self, c: char) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != self.negated
    }
}

/// Which patterns matched a directory, handed to what is below it.
#[derive(Clone, Debug, Default)]
pub struct MatchInfo {
    parent_matched: Vec<bool>,
}

impl Patterns {
    /// Reads a `.dockerignore` as `ignorefile.ReadAll` does; an error names the line.
    pub fn parse(bytes: &[u8]) -> Result<Patterns> {
        let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
        // bufio.ScanLines: a final empty piece is no line.
        if lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        let mut patterns = Vec::new();
        for (number, line) in lines.into_iter().enumerate() {
            let mut line = line.strip_suffix(b"\r").unwrap_or(line);
            if number == 0 {
                line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
            }
            if line.first() == Some(&b'#') {
                continue;
            }
            let line = trim(line);
            if line.is_empty() {
                continue;
            }
            let (invert, mut pattern) = match line.strip_prefix(b"!") {
                Some(rest) => (true, trim(rest).to_vec()),
                None => (false, line.to_vec()),
            };
            if !pattern.is_empty() {
                pattern = go_clean(&pattern);
                if pattern.len() > 1 && pattern[0] == b'/' {
                    pattern.remove(0);
                }
            }
            if invert {
                pattern.insert(0, b'!');
            }
            patterns.push((number + 1, pattern));
        }
        let mut out = Patterns::default();
        for (number, pattern) in patterns {
            out.push(&pattern).map_err(|e| {
                anyhow!(
                    "line {number}: `{}`: {e}",
                    crate::repo::tree::display_path(&pattern)
                )
            })?;
        }
        Ok(out)
    }

    /// Adds one pattern as `patternmatcher.New` takes it (`!` for an exception).
    fn push(&mut self, pattern: &[u8]) -> Result<()> {
        let pattern = trim(pattern);
        if pattern.is_empty() {
            return Ok(());
        }
        let mut text = go_clean(pattern);
        let exclusion = text[0] == b'!';
        if exclusion {
            if text.len() == 1 {
                bail!("illegal exclusion pattern: \"!\"");
            }
            text.remove(0);
        }
        check_syntax(&text)?;
        let how = compile(&text)?;
        self.rules.push(Rule {
            exclusion,
            text,
            how,
        });
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The CLI's `TrimBuildFilesFromExcludes`: `.dockerignore` and the Dockerfile (its
    /// path relative to the context, `../x` when outside) are sent even when excluded,
    /// through exceptions added at the end.
    pub fn keep_build_files(&mut self, dockerfile: &[u8]) {
        for path in [b".dockerignore".as_slice(), dockerfile] {
            let clean = go_clean(path);
            if clean != b"." && self.matches_or_parent_matches(&clean) {
                let mut exception = b"!".to_vec();
                exception.extend_from_slice(path);
                // A pattern that was valid stays valid with a `!` in front.
                let _ = self.push(&exception);
            }
        }
    }

    /// Whether any pattern is an exception.
    pub fn has_exceptions(&self) -> bool {
        self.rules.iter().any(|r| r.exclusion)
    }

    /// Whether `path` (relative to the context, `/`-separated) is excluded, checking
    /// every parent directory too (moby's `MatchesOrParentMatches`).
    pub fn matches_or_parent_matches(&self, path: &[u8]) -> bool {
        let mut matched = false;
        let parents: Vec<usize> = path
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'/')
            .map(|(i, _)| i)
            .collect();
        for rule in &self.rules {
            if rule.exclusion != matched {
                continue;
            }
            let hit = rule.matches(path) || parents.iter().any(|&i| rule.matches(&path[..i]));
            if hit {
                matched = !rule.exclusion;
            }
        }
        matched
    }

    /// moby's `MatchesUsingParentResults`: whether `path` is excluded, given what
    /// matched its directory (`None` for an entry at the top of the context), and what
    /// to hand to the entries below it.
    pub fn entry(&self, path: &[u8], parent: Option<&MatchInfo>) -> (bool, MatchInfo) {
        let mut matched = false;
        let mut info = MatchInfo {
            parent_matched: vec![false; self.rules.len()],
        };
        for (i, rule) in self.rules.iter().enumerate() {
            let mut hit = parent.is_some_and(|p| p.parent_matched.get(i) == Some(&true));
            if !hit {
                if rule.exclusion != matched {
                    continue;
                }
                hit = rule.matches(path);
                if !hit && parent.is_none() {
                    hit = path
                        .iter()
                        .enumerate()
                        .filter(|(_, b)| **b == b'/')
                        .any(|(j, _)| rule.matches(&path[..j]));
                }
            }
            info.parent_matched[i] = hit;
            if hit {
                matched = !rule.exclusion;
            }
        }
        (matched, info)
    }

    /// Whether an excluded directory is entered anyway: an exception's text starts
    /// with `dir/`.
    pub fn enters(&self, dir: &[u8]) -> bool {
        let mut prefix = dir.to_vec();
        prefix.push(b'/');
        self.rules.iter().filter(|r| r.exclusion).any(|r| {
            let mut text = r.text.clone();
            text.push(b'/');
            text.starts_with(&prefix)
        })
    }
}

impl Rule {
    fn matches(&self, path: &[u8]) -> bool {
        match &self.how {
            How::Exact => path == self.text.as_slice(),
            How::Prefix => path.starts_with(&self.text[..self.text.len() - 2]),
            How::Suffix => {
                let suffix = &self.text[2..];
                path.ends_with(suffix) || (suffix.first() == Some(&b'/') && path == &suffix[1..])
            }
            How::Regex(toks) => regex_match(toks, &units(path)),
        }
    }
}

/// Go's `strings.TrimSpace` (on text; a byte that is not UTF-8 is not space).
fn trim(bytes: &[u8]) -> &[u8] {
    let is_space = |c: char| c.is_whitespace();
    let mut start = 0;
    let mut end = bytes.len();
    while start < end {
        match leading_char(&bytes[start..end]) {
            Some((c, n)) if is_space(c) => start += n,
            _ => break,
        }
    }
    while end > start {
        match trailing_char(&bytes[start..end]) {
            Some((c, n)) if is_space(c) => end -= n,
            _ => break,
        }
    }
    &bytes[start..end]
}

fn leading_char(bytes: &[u8]) -> Option<(char, usize)> {
    let n = bytes.len().min(4);
    (1..=n).find_map(|len| {
        std::str::from_utf8(&bytes[..len])
            .ok()
            .and_then(|s| s.chars().next())
            .map(|c| (c, len))
    })
}

fn trailing_char(bytes: &[u8]) -> Option<(char, usize)> {
    let n = bytes.len().min(4);
    (1..=n).find_map(|len| {
        std::str::from_utf8(&bytes[bytes.len() - len..])
            .ok()
            .and_then(|s| s.chars().next())
            .map(|c| (c, len))
    })
}

/// Go's `filepath.Clean` on Unix, on bytes.
pub fn go_clean(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b".".to_vec();
    }
    let rooted = path[0] == b'/';
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in path.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                if parts.last().is_some_and(|p| *p != b"..") {
                    parts.pop();
                } else if !rooted {
                    parts.push(part);
                }
            }
            p => parts.push(p),
        }
    }
    let mut out = if rooted { b"/".to_vec() } else { Vec::new() };
    out.extend_from_slice(&parts.join(&b'/'));
    if out.is_empty() {
        out.push(b'.');
    }
    out
}

/// Text as Go's scanner reads it: characters, each byte that is not UTF-8 as U+FFFD.
fn units(bytes: &[u8]) -> Vec<char> {
    let mut out = Vec::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.extend(chunk.valid().chars());
        out.extend(chunk.invalid().iter().map(|_| char::REPLACEMENT_CHARACTER));
    }
    out
}

/// moby's `Pattern.compile`: which comparison a pattern needs, and its expression.
fn compile(text: &[u8]) -> Result<How> {
    #[derive(PartialEq)]
    enum Kind {
        Exact,
        Prefix,
        Suffix,
        Regex,
    }
    let chars = units(text);
    let mut kind = Kind::Exact;
    let mut toks = Vec::new();
    let mut i = 0;
    let mut index = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i >= chars.len() {
                    if kind == Kind::Exact {
                        kind = Kind::Prefix;
                    } else {
                        toks.push(Tok::Rest);
                        kind = Kind::Regex;
                    }
                } else {
                    toks.push(Tok::Dirs);
                    kind = Kind::Regex;
                }
                if index == 0 {
                    kind = Kind::Suffix;
                }
            }
            '*' => {
                toks.push(Tok::Star);
                kind = Kind::Regex;
            }
            '?' => {
                toks.push(Tok::One);
                kind = Kind::Regex;
            }
            '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => toks.push(Tok::Lit(c)),
            '\\' => match chars.get(i) {
                Some(&next) => {
                    i += 1;
                    toks.push(escape(next)?);
                    kind = Kind::Regex;
                }
                // Go's regexp refuses a trailing `\`; filepath.Match already did.
                None => bail!("trailing backslash"),
            },
            '[' => {
                let (class, used) = parse_class(&chars[i..])?;
                i += used;
                toks.push(Tok::Class(class));
                kind = Kind::Regex;
            }
            ']' => {
                toks.push(Tok::Lit(']'));
                kind = Kind::Regex;
            }
            '^' => toks.push(Tok::Begin),
            c => toks.push(Tok::Lit(c)),
        }
        index += 1;
    }
    // A run of one zero-width token means what one does (`^^` is `^`, `(.*/)?(.*/)?` is
    // `(.*/)?`): collapsed, a hostile line keeps the matcher's set of states small.
    toks.dedup_by(|b, a| {
        matches!(
            (a, b),
            (Tok::Begin, Tok::Begin)
                | (Tok::Star, Tok::Star)
                | (Tok::Rest, Tok::Rest)
                | (Tok::Dirs, Tok::Dirs)
        )
    });
    Ok(match kind {
        Kind::Exact => How::Exact,
        Kind::Prefix => How::Prefix,
        Kind::Suffix => How::Suffix,
        Kind::Regex => How::Regex(toks),
    })
}

/// `\x` outside a class in Go's regexp syntax.
fn escape(c: char) -> Result<Tok> {
    if let Some(class) = perl_class(c) {
        return Ok(Tok::Class(class));
    }
    match control_escape(c) {
        Some(lit) => Ok(Tok::Lit(lit)),
        None if c.is_ascii_punctuation() => Ok(Tok::Lit(c)),
        None => bail!("`\\{c}` is an escape pachhook does not read (Go regular expression syntax)"),
    }
}

fn control_escape(c: char) -> Option<char> {
    Some(match c {
        'a' => '\x07',
        'f' => '\x0c',
        't' => '\t',
        'n' => '\n',
        'r' => '\r',
        'v' => '\x0b',
        _ => return None,
    })
}

fn perl_class(c: char) -> Option<Class> {
    let (ranges, negated): (Vec<(char, char)>, bool) = match c {
        'd' | 'D' => (vec![('0', '9')], c == 'D'),
        's' | 'S' => (vec![('\t', '\n'), ('\x0c', '\r'), (' ', ' ')], c == 'S'),
        'w' | 'W' => (
            vec![('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')],
            c == 'W',
        ),
        _ => return None,
    };
    Some(Class { negated, ranges })
}

fn posix_class(name: &str) -> Option<Vec<(char, char)>> {
    Some(match name {
        "alnum" => vec![('0', '9'), ('A', 'Z'), ('a', 'z')],
        "alpha" => vec![('A', 'Z'), ('a', 'z')],
        "ascii" => vec![('\0', '\x7f')],
        "blank" => vec![('\t', '\t'), (' ', ' ')],
        "cntrl" => vec![('\0', '\x1f'), ('\x7f', '\x7f')],
        "digit" => vec![('0', '9')],
        "graph" => vec![('!', '~')],
        "lower" => vec![('a', 'z')],
        "print" => vec![(' ', '~')],
        "punct" => vec![('!', '/'), (':', '@'), ('[', '`'), ('{', '~')],
        "space" => vec![('\t', '\r'), (' ', ' ')],
        "upper" => vec![('A', 'Z')],
        "word" => vec![('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')],
        "xdigit" => vec![('0', '9'), ('A', 'F'), ('a', 'f')],
        _ => return None,
    })
}

/// A class of Go's regexp syntax, after its `[`: the class and the characters used.
fn parse_class(chars: &[char]) -> Result<(Class, usize)> {
    let mut i = 0;
    let mut class = Class {
        negated: false,
        ranges: Vec::new(),
    };
    if chars.first() == Some(&'^') {
        class.negated = true;
        i += 1;
    }
    let mut first = true;
    loop {
        let Some(&c) = chars.get(i) else {
            bail!("missing closing ]");
        };
        if c == ']' && !first {
            return Ok((class, i + 1));
        }
        first = false;
        // `[:alpha:]`
        if c == '[' && chars.get(i + 1) == Some(&':') {
            let rest: String = chars[i + 2..].iter().collect();
            if let Some(end) = rest.find(":]") {
                let name = &rest[..end];
                let (negate, name) = match name.strip_prefix('^') {
                    Some(n) => (true, n),
                    None => (false, name),
                };
                let Some(ranges) = posix_class(name) else {
                    bail!("invalid character class range `[:{name}:]`");
                };
                if negate {
                    bail!("negated POSIX classes are not read by pachhook");
                }
                class.ranges.extend(ranges);
                i += 2 + name.chars().count() + usize::from(negate) + 2;
                continue;
            }
        }
        let (lo, used) = class_char(&chars[i..])?;
        i += used;
        let lo = match lo {
            Member::Char(lo) => lo,
            Member::Class(perl) => {
                if perl.negated {
                    bail!("negated Perl classes inside [...] are not read by pachhook");
                }
                class.ranges.extend(perl.ranges);
                continue;
            }
        };
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|c| *c != ']') {
            let (hi, used) = class_char(&chars[i + 1..])?;
            let Member::Char(hi) = hi else {
                bail!("invalid character class range");
            };
            if hi < lo {
                bail!("invalid character class range `{lo}-{hi}`");
            }
            i += 1 + used;
            class.ranges.push((lo, hi));
        } else {
            class.ranges.push((lo, lo));
        }
    }
}

enum Member {
    Char(char),
    Class(Class),
}

fn class_char(chars: &[char]) -> Result<(Member, usize)> {
    match chars.first() {
        None => bail!("missing closing ]"),
        Some('\\') => {
            let Some(&c) = chars.get(1) else {
                bail!("trailing backslash");
            };
            if let Some(class) = perl_class(c) {
                return Ok((Member::Class(class), 2));
            }
            match control_escape(c) {
                Some(lit) => Ok((Member::Char(lit), 2)),
                None if c.is_ascii_punctuation() => Ok((Member::Char(c), 2)),
                None => bail!(
                    "`\\{c}` is an escape pachhook does not read (Go regular expression syntax)"
                ),
            }
        }
        Some(&c) => Ok((Member::Char(c), 1)),
    }
}

/// The syntax check `patternmatcher.New` makes with Go's `filepath.Match`.
fn check_syntax(text: &[u8]) -> Result<()> {
    let chars = units(text);
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                if i + 1 >= chars.len() {
                    bail!("syntax error in pattern (a trailing \\)");
                }
                i += 2;
            }
            '[' => {
                i += 1;
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                let mut ranges = 0;
                loop {
                    match chars.get(i) {
                        None => bail!("syntax error in pattern (a [ without its ])"),
                        Some(']') if ranges > 0 => {
                            i += 1;
                            break;
                        }
                        _ => {}
                    }
                    let lo = match_escape(&chars, &mut i)?;
                    let mut hi = lo;
                    if chars.get(i) == Some(&'-') {
                        i += 1;
                        hi = match_escape(&chars, &mut i)?;
                    }
                    if hi < lo {
                        bail!("syntax error in pattern (a range that runs backwards)");
                    }
                    ranges += 1;
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Go's `getEsc` of `filepath.Match`.
fn match_escape(chars: &[char], i: &mut usize) -> Result<char> {
    let bad = || anyhow!("syntax error in pattern (in a [...] class)");
    let mut c = *chars.get(*i).ok_or_else(bad)?;
    if c == '-' || c == ']' {
        return Err(bad());
    }
    if c == '\\' {
        *i += 1;
        c = *chars.get(*i).ok_or_else(bad)?;
    }
    *i += 1;
    Ok(c)
}

/// Whether `toks` matches all of `s`: a simulation of the expression's automaton, one
/// step per character over the set of token positions still alive. Time is tokens ×
/// characters and memory is tokens, whatever the pattern: a `.dockerignore` is written by
/// someone else, and a backtracking or recursive matcher lets one line (`^^^…*`,
/// `**/**/…`) exhaust the stack or the clock.
fn regex_match(toks: &[Tok], s: &[char]) -> bool {
    let mut now = States::new(toks.len());
    let mut next = States::new(toks.len());
    now.add(toks, State::At(0), 0);
    for (p, &c) in s.iter().enumerate() {
        next.clear();
        for i in 0..now.list.len() {
            let state = now.list[i];
            let t = state.token();
            match (state, &toks.get(t)) {
                (State::Inside(_), _) => {
                    // Inside `(.*/)?`: any character but a newline; a `/` may end it.
                    if c != '\n' {
                        next.add(toks, state, p + 1);
                    }
                    if c == '/' {
                        next.add(toks, State::At(t + 1), p + 1);
                    }
                }
                (State::At(_), Some(Tok::Lit(x))) if *x == c => {
                    next.add(toks, State::At(t + 1), p + 1)
                }
                (State::At(_), Some(Tok::One)) if c != '/' => {
                    next.add(toks, State::At(t + 1), p + 1)
                }
                (State::At(_), Some(Tok::Class(class))) if class.contains(c) => {
                    next.add(toks, State::At(t + 1), p + 1)
                }
                (State::At(_), Some(Tok::Star)) if c != '/' => next.add(toks, state, p + 1),
                (State::At(_), Some(Tok::Rest)) if c != '\n' => next.add(toks, state, p + 1),
                _ => {}
            }
        }
        if next.list.is_empty() {
            return false;
        }
        std::mem::swap(&mut now, &mut next);
    }
    now.list.contains(&State::At(toks.len()))
}

/// A position in the token list: before token `t`, or inside the `(.*/)?` of token `t`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    At(usize),
    Inside(usize),
}

impl State {
    fn token(self) -> usize {
        match self {
            State::At(t) | State::Inside(t) => t,
        }
    }

    fn slot(self) -> usize {
        match self {
            State::At(t) => 2 * t,
            State::Inside(t) => 2 * t + 1,
        }
    }
}

/// The set of states alive before one character, with what follows from them without
/// reading one (the epsilon closure), each state once.
struct States {
    list: Vec<State>,
    seen: Vec<bool>,
    stack: Vec<State>,
}

impl States {
    fn new(toks: usize) -> States {
        States {
            list: Vec::new(),
            seen: vec![false; 2 * toks + 2],
            stack: Vec::new(),
        }
    }

    fn clear(&mut self) {
        for state in self.list.drain(..) {
            self.seen[state.slot()] = false;
        }
    }

    /// Adds `state` at input position `p` and every state it reaches reading nothing.
    fn add(&mut self, toks: &[Tok], state: State, p: usize) {
        self.stack.push(state);
        while let Some(state) = self.stack.pop() {
            if std::mem::replace(&mut self.seen[state.slot()], true) {
                continue;
            }
            self.list.push(state);
            let State::At(t) = state else { continue };
            match toks.get(t) {
                Some(Tok::Begin) if p == 0 => self.stack.push(State::At(t + 1)),
                Some(Tok::Star | Tok::Rest) => self.stack.push(State::At(t + 1)),
                Some(Tok::Dirs) => {
                    self.stack.push(State::At(t + 1));
                    self.stack.push(State::Inside(t));
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(ignore: &str, path: &str) -> bool {
        Patterns::parse(ignore.as_bytes())
            .unwrap()
            .matches_or_parent_matches(path.as_bytes())
    }

    #[test]
    fn reading_follows_ignorefile() {
        assert!(
            excluded("\u{feff}secret.txt\n", "secret.txt"),
            "BOM dropped"
        );
        assert!(excluded("a.txt\r\nb.txt\r\n", "a.txt"), "CRLF");
        assert!(excluded("  #x\n", "#x"), "indented # is a pattern");
        assert!(!excluded("#x\n", "#x"), "comment");
        assert!(excluded("x.txt   \n", "x.txt"), "trailing spaces trimmed");
        assert!(excluded("/build\n", "build/out.o"), "leading / dropped");
        assert!(excluded("./build/\n", "build"), "./ and / dropped");
        assert!(excluded("a/../b\n", "b"), "cleaned");
        assert!(Patterns::parse(b"!\n").is_err());
        assert!(Patterns::parse(b"[a\n").is_err());
    }

    #[test]
    fn matching_follows_patternmatcher() {
        assert!(excluded("{a,b}.cfg\n", "{a,b}.cfg"));
        assert!(!excluded("{a,b}.cfg\n", "a.cfg"));
        assert!(excluded("[!a]x\n", "!x"));
        assert!(excluded("[!a]x\n", "ax"));
        assert!(!excluded("[!a]x\n", "bx"));
        assert!(excluded("[^a]x\n", "bx"));
        assert!(!excluded("[^a]x\n", "ax"));
        assert!(excluded("a+b\n", "a+b"));
        assert!(!excluded("a+b\n", "aab"));
        assert!(excluded("*.log\n", "a.log"));
        assert!(!excluded("*.log\n", "sub/a.log"), "* stays in one element");
        assert!(excluded("**/*.log\n", "sub/deep/a.log"));
        assert!(excluded("**/*.log\n", "a.log"));
        assert!(excluded("**foo\n", "x/barfoo"), "a suffix compare");
        assert!(excluded("foo**\n", "foobar/x"), "a prefix compare");
        assert!(excluded("data\n", "data/x/y.bin"), "parents count");
        assert!(excluded("caf?\n", "café"), "? is one character");
        assert!(excluded("a\\*b\n", "a*b"));
        assert!(excluded("[[:digit:]]x\n", "1x"));
    }

    #[test]
    fn exceptions_and_directories() {
        let p = Patterns::parse(b"docs\n!docs/keep.md\n").unwrap();
        assert!(p.matches_or_parent_matches(b"docs/other.md"));
        assert!(!p.matches_or_parent_matches(b"docs/keep.md"));
        assert!(p.enters(b"docs"));
        assert!(!p.enters(b"doc"));
        let p = Patterns::parse(b"*\n!**/keep\n").unwrap();
        assert!(!p.enters(b"a"), "a literal prefix test, not a glob");
        let mut p = Patterns::parse(b"sub\n").unwrap();
        p.keep_build_files(b"sub/Dockerfile");
        assert!(p.enters(b"sub"));
        assert!(!p.matches_or_parent_matches(b"sub/Dockerfile"));
        assert!(p.matches_or_parent_matches(b"sub/other"));
    }

    #[test]
    fn parent_results_are_carried_down() {
        // The exception is not checked against `a` when `a` is visited (nothing was
        // excluded yet), so `a/x` stays excluded: moby's walk says the same.
        let p = Patterns::parse(b"a/x\n!a\n").unwrap();
        let (dir, info) = p.entry(b"a", None);
        assert!(!dir);
        let (file, _) = p.entry(b"a/x", Some(&info));
        assert!(file);
    }

    #[test]
    fn hostile_lines_match_in_bounded_time_and_stack() {
        // Each line was one stack frame per token in the recursive matcher (an abort
        // on a 1 MiB `.dockerignore`), or tokens × length² steps for `*`.
        let n = 500_000;
        let start = std::time::Instant::now();
        for line in [
            format!("{}*\n", "^".repeat(n)),
            format!("x{}*\n", "**/".repeat(n / 3)),
            format!("{}b\n", "*a".repeat(n / 2)),
            format!("{}\n", "?*".repeat(n / 2)),
        ] {
            let p = Patterns::parse(line.as_bytes()).unwrap();
            let long = "a".repeat(4000);
            for path in ["x", "xa/b/c", "aaaab", long.as_str()] {
                let _ = p.matches_or_parent_matches(path.as_bytes());
            }
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
        assert!(excluded(&format!("{}*\n", "^".repeat(n)), "anything"));
        assert!(excluded(&format!("x{}y\n", "**/".repeat(1000)), "xa/b/y"));
        assert!(!excluded(&format!("x{}y\n", "**/".repeat(1000)), "xa/b/z"));
        assert!(excluded("^*^a?\n", "ab"), "^ at the start");
        assert!(!excluded("*^a?\n", "xab"), "^ after a character");
    }

    #[test]
    fn clean_is_go_filepath_clean() {
        assert_eq!(go_clean(b"./a//b/./c/"), b"a/b/c");
        assert_eq!(go_clean(b"a/../../b"), b"../b");
        assert_eq!(go_clean(b"/../a"), b"/a");
        assert_eq!(go_clean(b""), b".");
        assert_eq!(go_clean(b"/"), b"/");
    }
}
