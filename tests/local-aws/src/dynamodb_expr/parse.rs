//! The expression language's tokenizer and recursive-descent parser, with DynamoDB's
//! precedence (`NOT` binds tighter than `AND`, which binds tighter than `OR`) and its error
//! messages. Placeholders are resolved as they are read.

use super::{Comparator, Condition, Operand, Placeholders};
use crate::dynamodb_item;
use crate::wire::AwsError;
use serde_json::Value;
use std::cmp::Ordering;

/// DynamoDB's limit on the values of one `IN`.
const MAX_IN_OPERANDS: usize = 100;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Name(String),
    Value(String),
    Compare(Comparator),
    Open,
    Close,
    Comma,
    /// `.` or a list index: document paths, which the emulator does not speak.
    PathSeparator(char),
}

/// A token and where it sits in the expression, for error messages.
#[derive(Debug)]
struct Spanned {
    token: Token,
    start: usize,
    end: usize,
}

fn tokenize(text: &str) -> Result<Vec<Spanned>, (usize, usize)> {
    let bytes = text.as_bytes();
    let identifier_end = |from: usize| {
        from + bytes[from..]
            .iter()
            .take_while(|byte| byte.is_ascii_alphanumeric() || **byte == b'_')
            .count()
    };
    let mut tokens = Vec::new();
    let mut start = 0;
    while let Some(&byte) = bytes.get(start) {
        let (token, end) = match (byte, bytes.get(start + 1)) {
            (b' ' | b'\t' | b'\r' | b'\n', _) => {
                start += 1;
                continue;
            }
            (b'(', _) => (Token::Open, start + 1),
            (b')', _) => (Token::Close, start + 1),
            (b',', _) => (Token::Comma, start + 1),
            (b'.', _) => (Token::PathSeparator('.'), start + 1),
            // A list index, `[0]`, is one token: the emulator only needs to recognise it.
            (b'[', _) => {
                let end = text[start..]
                    .find(']')
                    .map_or(start + 1, |close| start + close + 1);
                (Token::PathSeparator('['), end)
            }
            (b'=', _) => (Token::Compare(Comparator::Equal), start + 1),
            (b'<', Some(b'>')) => (Token::Compare(Comparator::NotEqual), start + 2),
            (b'<', Some(b'=')) => (Token::Compare(Comparator::LessOrEqual), start + 2),
            (b'>', Some(b'=')) => (Token::Compare(Comparator::GreaterOrEqual), start + 2),
            (b'<', _) => (Token::Compare(Comparator::Less), start + 1),
            (b'>', _) => (Token::Compare(Comparator::Greater), start + 1),
            (b'#' | b':', _) => {
                let end = identifier_end(start + 1);
                if end == start + 1 {
                    return Err((start, end));
                }
                let placeholder = text[start..end].to_owned();
                match byte {
                    b'#' => (Token::Name(placeholder), end),
                    _ => (Token::Value(placeholder), end),
                }
            }
            _ if byte.is_ascii_alphabetic() || byte == b'_' => {
                let end = identifier_end(start);
                (Token::Word(text[start..end].to_owned()), end)
            }
            _ => {
                let width = text[start..].chars().next().map_or(1, char::len_utf8);
                return Err((start, start + width));
            }
        };
        tokens.push(Spanned { token, start, end });
        start = end;
    }
    Ok(tokens)
}

const KEYWORDS: [&str; 5] = ["AND", "OR", "NOT", "BETWEEN", "IN"];

/// Parses one expression; `parameter` (e.g. `ConditionExpression`) names it in errors.
pub fn parse(text: &str, parameter: &str, placeholders: &mut Placeholders) -> Result<Condition, AwsError> {
    let error = |detail: String| AwsError::validation(format!("Invalid {parameter}: {detail}"));
    placeholders.parsed = true;
    if text.trim().is_empty() {
        return Err(error("The expression can not be empty;".into()));
    }
    let tokens = tokenize(text).map_err(|(start, end)| {
        error(format!(
            "Syntax error; token: \"{}\", near: \"{}\"",
            &text[start..end],
            near(text, start, end)
        ))
    })?;
    let mut parser = Parser {
        text,
        tokens,
        position: 0,
        placeholders,
    };
    let condition = parser.or().map_err(error)?;
    if parser.position < parser.tokens.len() {
        return Err(error(parser.syntax_error()));
    }
    Ok(condition)
}

/// The expression around a token, as DynamoDB quotes it in syntax errors.
fn near(text: &str, start: usize, end: usize) -> &str {
    let from = text[..start]
        .trim_end()
        .rfind(char::is_whitespace)
        .map_or(0, |index| index + 1);
    let to = text[end..]
        .find(char::is_whitespace)
        .map_or(text.len(), |index| end + index);
    &text[from..to]
}

struct Parser<'t, 'p, 'a> {
    text: &'t str,
    tokens: Vec<Spanned>,
    position: usize,
    placeholders: &'p mut Placeholders<'a>,
}

type Parsed<T> = Result<T, String>;

impl Parser<'_, '_, '_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position).map(|spanned| &spanned.token)
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(word)) if word.eq_ignore_ascii_case(keyword))
    }

    fn advance(&mut self) -> Option<Token> {
        let token = self
            .tokens
            .get(self.position)
            .map(|spanned| spanned.token.clone());
        self.position += 1;
        token
    }

    fn syntax_error(&self) -> String {
        match self.tokens.get(self.position) {
            Some(spanned) => format!(
                "Syntax error; token: \"{}\", near: \"{}\"",
                &self.text[spanned.start..spanned.end],
                near(self.text, spanned.start, spanned.end)
            ),
            None => format!(
                "Syntax error; token: <EOF>, near: \"{}\"",
                near(self.text, self.text.len(), self.text.len())
            ),
        }
    }

    fn expect(&mut self, expected: &Token) -> Parsed<()> {
        if self.peek() == Some(expected) {
            self.position += 1;
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    fn expect_keyword(&mut self, keyword: &str) -> Parsed<()> {
        if self.peek_keyword(keyword) {
            self.position += 1;
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    /// `OR` binds loosest, then `AND`, then `NOT`.
    fn or(&mut self) -> Parsed<Condition> {
        let mut condition = self.and()?;
        while self.peek_keyword("OR") {
            self.position += 1;
            condition = Condition::Or(Box::new(condition), Box::new(self.and()?));
        }
        Ok(condition)
    }

    fn and(&mut self) -> Parsed<Condition> {
        let mut condition = self.not()?;
        while self.peek_keyword("AND") {
            self.position += 1;
            condition = Condition::And(Box::new(condition), Box::new(self.not()?));
        }
        Ok(condition)
    }

    fn not(&mut self) -> Parsed<Condition> {
        if self.peek_keyword("NOT") {
            self.position += 1;
            return Ok(Condition::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Parsed<Condition> {
        if self.peek() == Some(&Token::Open) {
            self.position += 1;
            let condition = self.or()?;
            self.expect(&Token::Close)?;
            return Ok(condition);
        }
        if let Some(function) = self.function_name() {
            return self.function(&function);
        }
        let left = self.operand()?;
        match self.peek() {
            Some(Token::Compare(comparator)) => {
                let comparator = *comparator;
                self.position += 1;
                Ok(Condition::Compare(left, comparator, self.operand()?))
            }
            _ if self.peek_keyword("BETWEEN") => {
                self.position += 1;
                let low = self.operand()?;
                self.expect_keyword("AND")?;
                let high = self.operand()?;
                check_bounds(&low, &high)?;
                Ok(Condition::Between(left, low, high))
            }
            _ if self.peek_keyword("IN") => {
                self.position += 1;
                self.expect(&Token::Open)?;
                let mut candidates = vec![self.operand()?];
                while self.peek() == Some(&Token::Comma) {
                    self.position += 1;
                    candidates.push(self.operand()?);
                }
                self.expect(&Token::Close)?;
                if candidates.len() > MAX_IN_OPERANDS {
                    return Err(format!(
                        "The IN operator is provided with too many operands; number of operands: {}",
                        candidates.len()
                    ));
                }
                Ok(Condition::In(left, candidates))
            }
            _ => Err(self.syntax_error()),
        }
    }

    /// The name of the function called here, if a word is followed by `(`.
    fn function_name(&self) -> Option<String> {
        match (
            self.peek(),
            self.tokens.get(self.position + 1).map(|spanned| &spanned.token),
        ) {
            (Some(Token::Word(word)), Some(Token::Open)) if !is_keyword(word) => Some(word.clone()),
            _ => None,
        }
    }

    fn function(&mut self, name: &str) -> Parsed<Condition> {
        self.position += 2;
        let mut arguments = vec![self.operand()?];
        while self.peek() == Some(&Token::Comma) {
            self.position += 1;
            arguments.push(self.operand()?);
        }
        self.expect(&Token::Close)?;
        let arity = match name {
            "attribute_exists" | "attribute_not_exists" => 1,
            "begins_with" => 2,
            "contains" | "size" | "attribute_type" => {
                return Err(format!("the function {name} is not emulated by local-aws"));
            }
            _ => return Err(format!("Invalid function name; function: {name}")),
        };
        if arguments.len() != arity {
            return Err(format!(
                "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {}",
                arguments.len()
            ));
        }
        match (name, arguments.as_slice()) {
            ("begins_with", [operand, prefix]) => {
                for argument in [operand, prefix] {
                    if let Operand::Value(value) = argument {
                        let kind = dynamodb_item::single(value).map_or("?", |(kind, _)| kind);
                        if kind != "S" && kind != "B" {
                            return Err(format!(
                                "Incorrect operand type for operator or function; operator or function: begins_with, operand type: {kind}"
                            ));
                        }
                    }
                }
                Ok(Condition::BeginsWith(operand.clone(), prefix.clone()))
            }
            ("attribute_exists", [Operand::Attribute(attribute)]) => {
                Ok(Condition::AttributeExists(attribute.clone()))
            }
            ("attribute_not_exists", [Operand::Attribute(attribute)]) => {
                Ok(Condition::AttributeNotExists(attribute.clone()))
            }
            _ => Err(format!(
                "Operator or function requires a document path; operator or function: {name}"
            )),
        }
    }

    fn operand(&mut self) -> Parsed<Operand> {
        if let Some(function) = self.function_name() {
            return Err(match function.as_str() {
                "size" => "the function size is not emulated by local-aws".into(),
                _ => format!(
                    "The function is not allowed to be used this way in an expression; function: {function}"
                ),
            });
        }
        let operand = match self.advance() {
            Some(Token::Word(word)) if !is_keyword(&word) => Operand::Attribute(word),
            Some(Token::Name(placeholder)) => Operand::Attribute(self.name(&placeholder)?),
            Some(Token::Value(placeholder)) => return Ok(Operand::Value(self.value(&placeholder)?)),
            _ => {
                self.position -= 1;
                return Err(self.syntax_error());
            }
        };
        if let Some(Token::PathSeparator(_)) = self.peek() {
            return Err("document paths (nested attributes such as a.b or a[0]) are not emulated by local-aws; only top-level attributes are".into());
        }
        Ok(operand)
    }

    fn name(&mut self, placeholder: &str) -> Parsed<String> {
        let name = self
            .placeholders
            .names
            .and_then(|names| names.get(placeholder))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                format!("An expression attribute name used in the document path is not defined; attribute name: {placeholder}")
            })?;
        self.placeholders.used_names.insert(placeholder.to_owned());
        Ok(name.to_owned())
    }

    fn value(&mut self, placeholder: &str) -> Parsed<Value> {
        let value = self
            .placeholders
            .values
            .and_then(|values| values.get(placeholder))
            .ok_or_else(|| {
                format!("An expression attribute value used in expression is not defined; attribute value: {placeholder}")
            })?;
        self.placeholders.used_values.insert(placeholder.to_owned());
        Ok(value.clone())
    }
}

fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|keyword| word.eq_ignore_ascii_case(keyword))
}

/// DynamoDB checks a BETWEEN whose bounds are both values: one type, lower first.
fn check_bounds(low: &Operand, high: &Operand) -> Parsed<()> {
    let (Operand::Value(low), Operand::Value(high)) = (low, high) else {
        return Ok(());
    };
    match dynamodb_item::order(low, high) {
        Some(Ordering::Greater) => Err(format!(
            "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {low}, upper bound operand: AttributeValue: {high}"
        )),
        Some(_) => Ok(()),
        None => Err(format!(
            "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {low}, upper bound operand: AttributeValue: {high}"
        )),
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
