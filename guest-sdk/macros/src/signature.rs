//! The shape of a `#[step]` or `#[workflow]` function: which arguments make
//! the input, what the input type is, and how to unpack it again.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn, PatType, ReturnType, Type};

/// A checked function.
pub(crate) struct Shape<'a> {
    /// The arguments that make the input (for a workflow, those after the
    /// context).
    pub(crate) inputs: Vec<&'a PatType>,
    /// The declared return type.
    pub(crate) output: &'a Type,
}

/// Refuses what the macros cannot turn into a step or workflow, with a
/// message at the offending token.
pub(crate) fn check<'a>(f: &'a ItemFn, macro_name: &str, expected: &str) -> syn::Result<Shape<'a>> {
    let sig = &f.sig;
    let refuse = |span: Span, what: &str| {
        Err(syn::Error::new(
            span,
            format!("a #[{macro_name}] function {what}"),
        ))
    };
    if let Some(t) = &sig.asyncness {
        return refuse(t.span(), "cannot be async");
    }
    if let Some(t) = &sig.constness {
        return refuse(t.span(), "cannot be const");
    }
    if let Some(t) = &sig.unsafety {
        return refuse(t.span(), "cannot be unsafe");
    }
    if let Some(abi) = &sig.abi {
        return refuse(abi.span(), "cannot declare an ABI");
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return refuse(
            sig.generics.span(),
            "cannot be generic: its input and output cross the component boundary as JSON of one type",
        );
    }
    if let Some(v) = &sig.variadic {
        return refuse(v.span(), "cannot be variadic");
    }
    let mut inputs = Vec::new();
    for arg in &sig.inputs {
        match arg {
            FnArg::Receiver(r) => return refuse(r.span(), "cannot take `self`"),
            FnArg::Typed(p) => inputs.push(p),
        }
    }
    let output = match &sig.output {
        ReturnType::Type(_, ty) => &**ty,
        ReturnType::Default => {
            return refuse(sig.ident.span(), &format!("must return `{expected}`"));
        }
    };
    Ok(Shape { inputs, output })
}

/// Refuses borrowed input types: inputs are deserialized from JSON, so they
/// must own their data.
pub(crate) fn check_owned(inputs: &[&PatType]) -> syn::Result<()> {
    for p in inputs {
        if let Type::Reference(r) = &*p.ty {
            return Err(syn::Error::new(
                r.span(),
                "inputs are deserialized from JSON and must be owned types (`String`, not `&str`)",
            ));
        }
    }
    Ok(())
}

/// The input type and how to unpack a value of it into arguments.
pub(crate) struct Input {
    /// `()`, `T` or `(A, B, ...)`.
    pub(crate) ty: TokenStream,
    /// A pattern binding `args` from a value of `ty`.
    pub(crate) pattern: TokenStream,
    /// One fresh identifier per argument.
    pub(crate) args: Vec<Ident>,
}

pub(crate) fn input(inputs: &[&PatType]) -> Input {
    let args: Vec<Ident> = (0..inputs.len())
        .map(|i| format_ident!("__cairn_arg{}", i))
        .collect();
    let tys: Vec<&Type> = inputs.iter().map(|p| &*p.ty).collect();
    let (ty, pattern) = match tys.as_slice() {
        [] => (quote!(()), quote!(())),
        [one] => (quote_spanned!(one.span()=> #one), {
            let a = &args[0];
            quote!(#a)
        }),
        many => (quote!((#(#many,)*)), quote!((#(#args,)*))),
    };
    Input { ty, pattern, args }
}
