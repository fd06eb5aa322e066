//! The expansion of `#[step]`.
//!
//! ```text
//! #[step(max_attempts = 5)]
//! fn charge(order: String, amount: f64) -> Result<Charge, StepError> { body }
//! ```
//! becomes a unit struct `charge` implementing `cairn_sdk::Step` with
//! `Input = (String, f64)`, whose `call` holds the original function, and
//! an `inventory` submission of `StepEntry::of::<charge>()`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ItemFn;
use syn::spanned::Spanned;

use crate::options::{self, Opt};
use crate::signature;

/// The options every step takes; `#[tool]` takes these and its own.
pub(crate) const KNOWN: &[&str] = &[
    "max_attempts",
    "timeout",
    "backoff",
    "backoff_factor",
    "max_backoff",
    "name",
];

/// The retry policy written in the attribute, defaults filled in.
pub(crate) struct Policy {
    max_attempts: u32,
    timeout_ms: u64,
    backoff_ms: u64,
    backoff_factor: f64,
    max_backoff_ms: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_attempts: 3,
            timeout_ms: 0,
            backoff_ms: 1_000,
            backoff_factor: 2.0,
            max_backoff_ms: 300_000,
        }
    }
}

impl Policy {
    /// Refuses a first backoff longer than the cap.
    pub(crate) fn check(&self, opts: &[Opt]) -> syn::Result<()> {
        if self.backoff_ms <= self.max_backoff_ms {
            return Ok(());
        }
        let opt = opts
            .iter()
            .find(|o| o.key == "backoff" || o.key == "max_backoff")
            .expect("a non-default backoff was given");
        Err(syn::Error::new_spanned(
            &opt.value,
            "`backoff` is longer than `max_backoff` (default \"5m\")",
        ))
    }

    /// The body of `Step::policy`.
    pub(crate) fn tokens(&self) -> TokenStream {
        let Policy {
            max_attempts,
            timeout_ms,
            backoff_ms,
            backoff_factor,
            max_backoff_ms,
        } = self;
        let timeout = if *timeout_ms == 0 {
            quote!(::core::option::Option::None)
        } else {
            quote!(::core::option::Option::Some(::core::time::Duration::from_millis(#timeout_ms)))
        };
        quote! {
            ::cairn_sdk::RetryPolicy {
                max_attempts: #max_attempts,
                initial_backoff: ::core::time::Duration::from_millis(#backoff_ms),
                backoff_factor: #backoff_factor,
                max_backoff: ::core::time::Duration::from_millis(#max_backoff_ms),
                timeout: #timeout,
            }
        }
    }
}

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let f: ItemFn = syn::parse2(item)?;
    let opts = options::parse(attr, "step", KNOWN)?;
    let shape = signature::check(&f, "step", "Result<T, StepError>")?;
    signature::check_owned(&shape.inputs)?;

    let mut name = f.sig.ident.to_string();
    let mut policy = Policy::default();
    for opt in &opts {
        apply(&mut policy, &mut name, opt)?;
    }
    policy.check(&opts)?;

    let ident = &f.sig.ident;
    let vis = &f.vis;
    let (docs, attrs): (Vec<_>, Vec<_>) = f.attrs.iter().partition(|a| a.path().is_ident("doc"));
    let sig = &f.sig;
    let block = &f.block;
    let output = shape.output;
    let input = signature::input(&shape.inputs);
    let (input_ty, pattern, args) = (&input.ty, &input.pattern, &input.args);
    let policy = policy.tokens();
    let output_ty = quote_spanned! {output.span()=>
        <#output as ::cairn_sdk::__private::StepReturn>::Output
    };

    Ok(quote! {
        #(#docs)*
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy)]
        #vis struct #ident;

        impl ::cairn_sdk::Step for #ident {
            type Input = #input_ty;
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
                let #pattern = input;
                ::cairn_sdk::__private::StepReturn::into_result(#ident(#(#args),*))
            }
        }

        ::cairn_sdk::__private::inventory::submit! {
            ::cairn_sdk::__private::StepEntry::of::<#ident>()
        }
    })
}

pub(crate) fn apply(policy: &mut Policy, name: &mut String, opt: &Opt) -> syn::Result<()> {
    match opt.key.to_string().as_str() {
        "max_attempts" => policy.max_attempts = options::positive_u32(opt)?,
        "timeout" => policy.timeout_ms = options::millis(opt)?,
        "backoff" => policy.backoff_ms = options::millis(opt)?,
        "backoff_factor" => policy.backoff_factor = options::factor(opt)?,
        "max_backoff" => policy.max_backoff_ms = options::millis(opt)?,
        "name" => *name = options::name(opt)?,
        _ => unreachable!("options::parse refuses unknown keys; #[tool] applies its own first"),
    }
    Ok(())
}
