//! The expansion of `#[tool]`: a step an agent's model may call.
//!
//! ```text
//! /// Looks an order up.
//! #[tool(max_attempts = 3)]
//! fn lookup_order(order_id: String, verbose: bool) -> Result<Order, StepError> { body }
//! ```
//! becomes what `#[step]` writes, except that the input is a struct of the
//! arguments by name,
//! ```text
//! #[data] pub struct LookupOrderArgs { pub order_id: String, pub verbose: bool }
//! ```
//! (a JSON object, as a model writes tool arguments, whose JSON Schema is
//! the tool's parameters), plus an impl of `cairn_sdk::Tool` carrying the
//! description (the `description` option, else the doc comment) and
//! whether a person must approve each call (`approval = true`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, Ident, ItemFn, Lit, Meta, Pat, PatType};

use crate::options;
use crate::signature;
use crate::step::{self, Policy};

const OWN: &[&str] = &["description", "approval"];

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let f: ItemFn = syn::parse2(item)?;
    let known: Vec<&str> = step::KNOWN.iter().chain(OWN).copied().collect();
    let opts = options::parse(attr, "tool", &known)?;
    let shape = signature::check(&f, "tool", "Result<T, StepError>")?;
    signature::check_owned(&shape.inputs)?;

    let mut name = f.sig.ident.to_string();
    let mut policy = Policy::default();
    let mut description = None;
    let mut approval = false;
    for opt in &opts {
        match opt.key.to_string().as_str() {
            "description" => description = Some(options::string(opt)?.value()),
            "approval" => approval = options::boolean(opt)?,
            _ => step::apply(&mut policy, &mut name, opt)?,
        }
    }
    policy.check(&opts)?;
    let description = match description.or_else(|| doc_text(&f.attrs)) {
        Some(d) if !d.trim().is_empty() => d,
        _ => {
            return Err(syn::Error::new(
                f.sig.ident.span(),
                "a #[tool] needs a description for the model: a doc comment, or \
                 `description = \"...\"`",
            ));
        }
    };
    let fields = arg_names(&shape.inputs)?;

    let ident = &f.sig.ident;
    let vis = &f.vis;
    let args_ty = format_ident!("{}Args", camel(&ident.to_string()), span = ident.span());
    let (docs, attrs): (Vec<_>, Vec<_>) = f.attrs.iter().partition(|a| a.path().is_ident("doc"));
    let sig = &f.sig;
    let block = &f.block;
    let output = shape.output;
    let tys: Vec<_> = shape.inputs.iter().map(|p| &*p.ty).collect();
    let policy = policy.tokens();
    let output_ty = quote_spanned! {output.span()=>
        <#output as ::cairn_sdk::__private::StepReturn>::Output
    };
    let args_doc = format!("The arguments of the tool [`{ident}`], by name.");

    Ok(quote! {
        #(#docs)*
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy)]
        #vis struct #ident;

        #[doc = #args_doc]
        #[derive(
            ::core::fmt::Debug,
            ::core::clone::Clone,
            ::cairn_sdk::serde::Serialize,
            ::cairn_sdk::serde::Deserialize,
            ::cairn_sdk::schemars::JsonSchema,
        )]
        #[serde(crate = "::cairn_sdk::serde")]
        #[schemars(crate = "::cairn_sdk::schemars")]
        #vis struct #args_ty {
            #(
                #[allow(missing_docs)]
                pub #fields: #tys,
            )*
        }

        impl ::cairn_sdk::Step for #ident {
            type Input = #args_ty;
            type Output = #output_ty;
            const NAME: &'static str = #name;

            fn policy() -> ::cairn_sdk::RetryPolicy {
                #policy
            }

            fn call(
                input: Self::Input,
            ) -> ::core::result::Result<Self::Output, ::cairn_sdk::StepError> {
                #(#attrs)*
                #sig #block
                let #args_ty { #(#fields),* } = input;
                ::cairn_sdk::__private::StepReturn::into_result(#ident(#(#fields),*))
            }
        }

        impl ::cairn_sdk::Tool for #ident {
            const DESCRIPTION: &'static str = #description;
            const APPROVAL: bool = #approval;

            fn parameters() -> ::cairn_sdk::serde_json::Value {
                ::cairn_sdk::__private::tool_parameters::<#args_ty>()
            }
        }

        ::cairn_sdk::__private::inventory::submit! {
            ::cairn_sdk::__private::StepEntry::of::<#ident>()
        }
    })
}

/// The arguments' names: the fields of the arguments struct, and what the
/// model writes.
fn arg_names(inputs: &[&PatType]) -> syn::Result<Vec<Ident>> {
    inputs
        .iter()
        .map(|p| match &*p.pat {
            Pat::Ident(i) if i.by_ref.is_none() && i.subpat.is_none() => Ok(i.ident.clone()),
            other => Err(syn::Error::new(
                other.span(),
                "a #[tool] argument must be a plain name: the model passes arguments by name",
            )),
        })
        .collect()
}

/// The doc comment's text, lines trimmed and joined.
fn doc_text(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// `lookup_order` → `LookupOrder`.
fn camel(snake: &str) -> String {
    snake
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|first| first.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::camel;

    #[test]
    fn names_become_camel_case() {
        assert_eq!(camel("lookup_order"), "LookupOrder");
        assert_eq!(camel("refund"), "Refund");
        assert_eq!(camel("_x__y"), "XY");
    }
}
