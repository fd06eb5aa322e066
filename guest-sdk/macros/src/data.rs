//! The expansion of `#[data]`.
//!
//! ```text
//! #[data]
//! #[derive(Debug)]
//! struct Order { id: String }
//! ```
//! becomes
//! ```text
//! #[derive(::cairn_sdk::serde::Serialize, ::cairn_sdk::serde::Deserialize)]
//! #[derive(::cairn_sdk::schemars::JsonSchema)]
//! #[serde(crate = "::cairn_sdk::serde")]
//! #[schemars(crate = "::cairn_sdk::schemars")]
//! #[derive(Debug)]
//! struct Order { id: String }
//! ```
//! (`#[data(no_schema)]` leaves out the `JsonSchema` derive, for a type
//! with a field whose type has no schema.)
//! The item is otherwise passed through untouched, other attributes and
//! derives included.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;
use syn::spanned::Spanned;
use syn::{Attribute, Item, Meta};

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let schema = match attr.to_string().as_str() {
        "" => true,
        "no_schema" => false,
        _ => {
            return Err(syn::Error::new(
                attr.span(),
                "#[data] takes no options but `no_schema`; put serde options in #[serde(...)] \
                 below it",
            ));
        }
    };
    let parsed: Item = syn::parse2(item.clone())?;
    let attrs = match &parsed {
        Item::Struct(s) => &s.attrs,
        Item::Enum(e) => &e.attrs,
        other => {
            return Err(syn::Error::new(
                item_span(other),
                "#[data] goes on a struct or an enum",
            ));
        }
    };
    check_attrs(attrs)?;
    // The schema follows the item's `#[serde(...)]` attributes (renames,
    // defaults, tagging), so it accepts what the derived `Deserialize` does.
    let schema = schema.then(|| {
        quote! {
            #[derive(::cairn_sdk::schemars::JsonSchema)]
            #[schemars(crate = "::cairn_sdk::schemars")]
        }
    });
    Ok(quote! {
        #[derive(::cairn_sdk::serde::Serialize, ::cairn_sdk::serde::Deserialize)]
        #schema
        #[serde(crate = "::cairn_sdk::serde")]
        #item
    })
}

/// Rejects what would clash with the expansion: serde's (or schemars')
/// derives written again, or a `#[serde(crate = ...)]` of the user's own.
fn check_attrs(attrs: &[Attribute]) -> syn::Result<()> {
    for attr in attrs {
        let Meta::List(list) = &attr.meta else {
            continue;
        };
        if attr.path().is_ident("derive") {
            let paths = attr.parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            )?;
            for path in paths {
                let last = path.segments.last().map(|s| s.ident.to_string());
                if let Some(name @ ("Serialize" | "Deserialize" | "JsonSchema")) = last.as_deref() {
                    return Err(syn::Error::new_spanned(
                        &path,
                        format!("#[data] already derives {name}; remove it from #[derive(...)]"),
                    ));
                }
            }
        } else if attr.path().is_ident("serde") {
            let mut tokens = list.tokens.clone().into_iter().peekable();
            while let Some(token) = tokens.next() {
                if let TokenTree::Ident(ident) = &token
                    && ident == "crate"
                    && matches!(tokens.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '=')
                {
                    return Err(syn::Error::new_spanned(
                        ident,
                        "#[data] sets #[serde(crate = ...)] itself; remove this one",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Where to point an error about the item as a whole.
fn item_span(item: &Item) -> proc_macro2::Span {
    match item {
        Item::Fn(f) => f.sig.fn_token.span,
        Item::Union(u) => u.union_token.span,
        Item::Type(t) => t.type_token.span,
        Item::Trait(t) => t.trait_token.span,
        Item::Impl(i) => i.impl_token.span,
        Item::Mod(m) => m.mod_token.span,
        other => other.span(),
    }
}
