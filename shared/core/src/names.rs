//! Enums of names that travel as text: AWS's (statuses, types, categories), read at the edge so
//! that decisions compare variants, not text; and pipeguard's own settings and labels, each
//! name written once, beside its variant.

/// Declares an enum of AWS's names for something, with `as_str`, `Display` and a lossless
/// `From<&str>`: a name this version does not know is kept as `Other`, never dropped.
macro_rules! aws_names {
    ($(#[$meta:meta])* $name:ident { $($(#[$variant_meta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name {
            $(#[doc = concat!("`", $text, "`")] $(#[$variant_meta])* $variant,)+
            /// A name AWS may add later; kept as sent.
            Other(String),
        }

        impl $name {
            /// The name as AWS writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(text) => text,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Declares an enum with a fixed set of names (a setting's values, a verdict's labels), with
/// `ALL`, `as_str`, `parse` (None for any other text), `one_of` (the names, for an error that
/// lists them) and `Display`.
macro_rules! closed_names {
    ($(#[$meta:meta])* $name:ident { $($(#[$variant_meta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            /// Every value, in the order declared.
            pub const ALL: &[Self] = &[$(Self::$variant),+];

            /// The value's name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// The value `text` names exactly, if any.
            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == text)
            }

            /// Every name, comma-separated, for a message that lists them.
            pub fn one_of() -> String {
                Self::ALL.iter().map(|value| value.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use aws_names;
pub(crate) use closed_names;

#[cfg(test)]
#[path = "names_tests.rs"]
mod tests;
