//! The expansion of `#[workflow]`.
//!
//! ```text
//! #[workflow(triggers = [event("user.signed_up")])]
//! fn onboard(ctx: &Ctx, user: String) -> Result<Value, WorkflowError> { body }
//! ```
//! becomes a unit struct `onboard` implementing `cairn_sdk::Workflow` with
//! `Input = String`, whose `call` holds the original function, and an
//! `inventory` submission of `WorkflowEntry::of::<onboard>()`. The impl
//! also says whether runs need a session (`session = ...`, or a
//! `.session()` call in the body) and gives the input's JSON Schema when
//! the input type has one.

use proc_macro2::TokenStream;
use proc_macro2::{Delimiter, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, ExprArray, ExprAssign, ExprCall, ItemFn, LitStr};

use crate::options::{self, Opt};
use crate::signature;

const KNOWN: &[&str] = &["triggers", "name", "session"];

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let f: ItemFn = syn::parse2(item)?;
    let opts = options::parse(attr, "workflow", KNOWN)?;
    let shape = signature::check(&f, "workflow", "Result<T, WorkflowError>")?;
    let Some((_ctx, inputs)) = shape.inputs.split_first() else {
        return Err(syn::Error::new(
            f.sig.paren_token.span.join(),
            "a #[workflow] function takes the context first: `fn name(ctx: &Ctx, ...)`",
        ));
    };
    signature::check_owned(inputs)?;

    let mut name = f.sig.ident.to_string();
    let mut triggers = Vec::new();
    // Unless the attribute says, a body that calls `.session()` needs a
    // session (see `calls_session`).
    let mut needs_session = calls_session(f.block.to_token_stream());
    for opt in &opts {
        match opt.key.to_string().as_str() {
            "name" => name = options::name(opt)?,
            "triggers" => triggers = parse_triggers(opt)?,
            "session" => needs_session = parse_session(opt)?,
            _ => unreachable!("options::parse refuses unknown keys"),
        }
    }

    let ident = &f.sig.ident;
    let vis = &f.vis;
    let (docs, attrs): (Vec<_>, Vec<_>) = f.attrs.iter().partition(|a| a.path().is_ident("doc"));
    let sig = &f.sig;
    let block = &f.block;
    let output = shape.output;
    let input = signature::input(inputs);
    let (input_ty, pattern, args) = (&input.ty, &input.pattern, &input.args);
    let output_ty = quote_spanned! {output.span()=>
        <#output as ::cairn_sdk::__private::WorkflowReturn>::Output
    };

    Ok(quote! {
        #(#docs)*
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy)]
        #vis struct #ident;

        impl ::cairn_sdk::Workflow for #ident {
            type Input = #input_ty;
            type Output = #output_ty;
            const NAME: &'static str = #name;

            fn triggers() -> ::std::vec::Vec<::cairn_sdk::Trigger> {
                ::std::vec![#(#triggers),*]
            }

            fn input_schema() -> ::core::option::Option<::cairn_sdk::serde_json::Value> {
                #[allow(unused_imports)]
                use ::cairn_sdk::__private::{SchemaFallback as _, SchemaOf as _};
                (&&::cairn_sdk::__private::SchemaProbe::<Self::Input>::NEW).schema()
            }

            fn needs_session() -> bool {
                #needs_session
            }

            fn call(
                ctx: &::cairn_sdk::Ctx,
                input: Self::Input,
            ) -> ::core::result::Result<Self::Output, ::cairn_sdk::WorkflowError> {
                #(#attrs)*
                #sig #block
                let #pattern = input;
                ::cairn_sdk::__private::WorkflowReturn::into_result(#ident(ctx, #(#args),*))
            }
        }

        ::cairn_sdk::__private::inventory::submit! {
            ::cairn_sdk::__private::WorkflowEntry::of::<#ident>()
        }
    })
}

/// True when `tokens` hold a call `.session()`: the body uses session
/// state, so a run without a session would fail at its first session call.
/// Looking at tokens misses a call made in a helper function the body
/// calls, and flags one the body makes only when a session is there;
/// `session = "required"` / `"optional"` settles both.
fn calls_session(tokens: TokenStream) -> bool {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    tokens.iter().enumerate().any(|(i, t)| match t {
        TokenTree::Group(g) => calls_session(g.stream()),
        TokenTree::Ident(id) if id == "session" => {
            let dot = i > 0 && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == '.');
            let call = matches!(tokens.get(i + 1), Some(TokenTree::Group(g))
                if g.delimiter() == Delimiter::Parenthesis && g.stream().is_empty());
            dot && call
        }
        _ => false,
    })
}

/// `session = "required"` or `session = "optional"`.
fn parse_session(opt: &Opt) -> syn::Result<bool> {
    let s = options::string(opt)?;
    match s.value().as_str() {
        "required" => Ok(true),
        "optional" => Ok(false),
        _ => Err(syn::Error::new(
            s.span(),
            "`session` takes \"required\" (runs need a session id) or \"optional\"",
        )),
    }
}

const TRIGGER_HINT: &str = "expected `event(\"NAME\")`, `webhook(\"SOURCE\", event = \"TYPE\")` \
                            or `cron(\"EXPR\", tz = \"ZONE\")`";

/// `[event("a"), webhook("stripe", event = "b")]` as `Trigger` expressions.
fn parse_triggers(opt: &Opt) -> syn::Result<Vec<TokenStream>> {
    let Expr::Array(ExprArray { elems, .. }) = &opt.value else {
        return Err(syn::Error::new_spanned(
            &opt.value,
            format!("`triggers` takes a list: `triggers = [...]`; {TRIGGER_HINT}"),
        ));
    };
    elems.iter().map(parse_trigger).collect()
}

fn parse_trigger(expr: &Expr) -> syn::Result<TokenStream> {
    let Expr::Call(ExprCall { func, args, .. }) = expr else {
        return Err(syn::Error::new_spanned(expr, TRIGGER_HINT));
    };
    let kind = match &**func {
        Expr::Path(p) if p.path.is_ident("event") => "event",
        Expr::Path(p) if p.path.is_ident("webhook") => "webhook",
        Expr::Path(p) if p.path.is_ident("cron") => return parse_cron(expr, args),
        _ => return Err(syn::Error::new_spanned(func, TRIGGER_HINT)),
    };
    let args: Vec<&Expr> = args.iter().collect();
    let nonempty = |expr: &Expr| -> syn::Result<LitStr> {
        match expr {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) if !s.value().is_empty() => Ok(s.clone()),
            _ => Err(syn::Error::new_spanned(
                expr,
                "expected a non-empty string literal",
            )),
        }
    };
    match (kind, args.as_slice()) {
        ("event", [name]) => {
            let name = nonempty(name)?;
            Ok(quote!(::cairn_sdk::Trigger::Event(::std::string::String::from(#name))))
        }
        ("webhook", [source, Expr::Assign(ExprAssign { left, right, .. })]) if matches!(&**left, Expr::Path(p) if p.path.is_ident("event")) =>
        {
            let source = nonempty(source)?;
            let event = nonempty(right)?;
            Ok(quote!(::cairn_sdk::Trigger::Webhook {
                source: ::std::string::String::from(#source),
                event: ::std::string::String::from(#event),
            }))
        }
        ("event", _) => Err(syn::Error::new_spanned(
            expr,
            "expected `event(\"NAME\")` with one event name",
        )),
        _ => Err(syn::Error::new_spanned(
            expr,
            "expected `webhook(\"SOURCE\", event = \"TYPE\")`",
        )),
    }
}

const CRON_HINT: &str = "expected `cron(\"EXPR\")` with optional `tz = \"ZONE\"`, \
                         `catch_up = \"skip\" | \"one\" | \"all\"` and \
                         `overlap = \"skip\" | \"allow\" | \"cancel-previous\"`";

/// `cron("0 9 * * 1-5", tz = "Europe/Paris", catch_up = "one", overlap = "skip")`
/// as a `Trigger::Cron`; the host checks the expression and the zone at
/// deploy, so a typo there is refused with its position before any run.
fn parse_cron(
    expr: &Expr,
    args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
) -> syn::Result<TokenStream> {
    let lit = |e: &Expr| match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) if !s.value().trim().is_empty() => Ok(s.clone()),
        _ => Err(syn::Error::new_spanned(
            e,
            "expected a non-empty string literal",
        )),
    };
    let mut args = args.iter();
    let Some(first) = args.next() else {
        return Err(syn::Error::new_spanned(expr, CRON_HINT));
    };
    let cron = lit(first)?;
    let mut tz = quote!(::std::option::Option::None);
    let mut catch_up = quote!(::cairn_sdk::CatchUp::One);
    let mut overlap = quote!(::cairn_sdk::Overlap::Skip);
    for arg in args {
        let Expr::Assign(ExprAssign { left, right, .. }) = arg else {
            return Err(syn::Error::new_spanned(arg, CRON_HINT));
        };
        let key = match &**left {
            Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
            _ => None,
        };
        let value = lit(right)?;
        match (key.as_deref(), value.value().as_str()) {
            (Some("tz"), _) => {
                tz = quote!(::std::option::Option::Some(::std::string::String::from(#value)))
            }
            (Some("catch_up"), "skip") => catch_up = quote!(::cairn_sdk::CatchUp::Skip),
            (Some("catch_up"), "one") => catch_up = quote!(::cairn_sdk::CatchUp::One),
            (Some("catch_up"), "all") => catch_up = quote!(::cairn_sdk::CatchUp::All),
            (Some("overlap"), "skip") => overlap = quote!(::cairn_sdk::Overlap::Skip),
            (Some("overlap"), "allow") => overlap = quote!(::cairn_sdk::Overlap::Allow),
            (Some("overlap"), "cancel-previous") => {
                overlap = quote!(::cairn_sdk::Overlap::CancelPrevious)
            }
            (Some("catch_up"), _) => {
                return Err(syn::Error::new_spanned(
                    right,
                    "`catch_up` is \"skip\", \"one\" (the default) or \"all\"",
                ));
            }
            (Some("overlap"), _) => {
                return Err(syn::Error::new_spanned(
                    right,
                    "`overlap` is \"skip\" (the default), \"allow\" or \"cancel-previous\"",
                ));
            }
            _ => return Err(syn::Error::new_spanned(left, CRON_HINT)),
        }
    }
    Ok(quote!(::cairn_sdk::Trigger::Cron(::cairn_sdk::Schedule {
        cron: ::std::string::String::from(#cron),
        tz: #tz,
        catch_up: #catch_up,
        overlap: #overlap,
    })))
}
