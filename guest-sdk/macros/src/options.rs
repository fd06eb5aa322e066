//! The `key = value, ...` arguments of `#[step(...)]` and
//! `#[workflow(...)]`, with typed accessors that report errors at the
//! offending token.

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Token};

use crate::duration::parse_millis;

/// One `key = value` argument.
pub(crate) struct Opt {
    pub(crate) key: Ident,
    pub(crate) value: Expr,
}

impl Parse for Opt {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key: Ident = input.parse()?;
        if !input.peek(Token![=]) {
            return Err(syn::Error::new(
                key.span(),
                format!("expected `{key} = ...`: options are written as `name = value`"),
            ));
        }
        input.parse::<Token![=]>()?;
        let value: Expr = input.parse()?;
        Ok(Opt { key, value })
    }
}

/// Parses the attribute's arguments, refusing keys not in `known` and keys
/// given twice.
pub(crate) fn parse(attr: TokenStream, macro_name: &str, known: &[&str]) -> syn::Result<Vec<Opt>> {
    let opts = Punctuated::<Opt, Token![,]>::parse_terminated.parse2(attr)?;
    let mut seen: Vec<String> = Vec::new();
    for opt in &opts {
        let key = opt.key.to_string();
        if !known.contains(&key.as_str()) {
            return Err(syn::Error::new(
                opt.key.span(),
                format!(
                    "unknown option `{key}` for #[{macro_name}]; expected one of: {}",
                    known.join(", ")
                ),
            ));
        }
        if seen.contains(&key) {
            return Err(syn::Error::new(
                opt.key.span(),
                format!("option `{key}` is given twice"),
            ));
        }
        seen.push(key);
    }
    Ok(opts.into_iter().collect())
}

fn lit(expr: &Expr) -> Option<&Lit> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        Expr::Group(g) => lit(&g.expr),
        _ => None,
    }
}

/// A string literal.
pub(crate) fn string(opt: &Opt) -> syn::Result<LitStr> {
    match lit(&opt.value) {
        Some(Lit::Str(s)) => Ok(s.clone()),
        _ => Err(syn::Error::new_spanned(
            &opt.value,
            format!("`{}` takes a string literal", opt.key),
        )),
    }
}

/// A non-empty name without surrounding whitespace.
pub(crate) fn name(opt: &Opt) -> syn::Result<String> {
    let s = string(opt)?;
    let v = s.value();
    if v.is_empty() || v.trim() != v {
        return Err(syn::Error::new(
            s.span(),
            "a name must be non-empty and without surrounding whitespace",
        ));
    }
    Ok(v)
}

/// A positive integer that fits `u32`.
pub(crate) fn positive_u32(opt: &Opt) -> syn::Result<u32> {
    let value = match lit(&opt.value) {
        Some(Lit::Int(i)) => i.base10_parse::<u32>().ok(),
        _ => None,
    };
    match value {
        Some(n) if n >= 1 => Ok(n),
        _ => Err(syn::Error::new_spanned(
            &opt.value,
            format!("`{}` takes a whole number of at least 1", opt.key),
        )),
    }
}

/// A finite float of at least 1.0 (an integer literal is accepted too).
pub(crate) fn factor(opt: &Opt) -> syn::Result<f64> {
    let value = match lit(&opt.value) {
        Some(Lit::Float(f)) => f.base10_parse::<f64>().ok(),
        Some(Lit::Int(i)) => i.base10_parse::<u32>().ok().map(f64::from),
        _ => None,
    };
    match value {
        Some(f) if f.is_finite() && f >= 1.0 => Ok(f),
        _ => Err(syn::Error::new_spanned(
            &opt.value,
            format!("`{}` takes a number of at least 1.0, such as 2.0", opt.key),
        )),
    }
}

/// A duration string, in milliseconds.
pub(crate) fn millis(opt: &Opt) -> syn::Result<u64> {
    let s = match lit(&opt.value) {
        Some(Lit::Str(s)) => s.clone(),
        _ => {
            return Err(syn::Error::new_spanned(
                &opt.value,
                format!(
                    "`{}` takes a duration string such as \"30s\", \"200ms\", \"5m\" or \"1h\"",
                    opt.key
                ),
            ));
        }
    };
    parse_millis(&s.value()).map_err(|m| syn::Error::new(s.span(), m))
}

/// `true` or `false`.
pub(crate) fn boolean(opt: &Opt) -> syn::Result<bool> {
    match lit(&opt.value) {
        Some(Lit::Bool(b)) => Ok(b.value),
        _ => Err(syn::Error::new_spanned(
            &opt.value,
            format!("`{}` takes `true` or `false`", opt.key),
        )),
    }
}
