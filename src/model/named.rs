//! Enums whose variants each have one written name, used for JSON, CSV, tables and parsing.
//!
//! `named!` declares the enum and derives `as_str`, `Display`, `Serialize` and the list of all
//! variants from one table, so that a new variant is written once and every output agrees.

/// Declares a fieldless enum with one written name per variant:
///
/// ```ignore
/// named! {
///     /// Docs.
///     pub enum Rag { Green = "green", Red = "red" }
/// }
/// ```
macro_rules! named {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            $vis const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The variant's written name, as JSON and CSV carry it.
            $vis fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text ),+
                }
            }

            /// The variant written `text`, if any.
            #[allow(dead_code)]
            $vis fn from_name(text: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

pub(crate) use named;

#[cfg(test)]
mod tests {
    named! {
        /// A test enum.
        enum Light { Red = "red", GreenLight = "green_light" }
    }

    #[test]
    fn one_name_serves_display_json_and_parsing() {
        assert_eq!(Light::GreenLight.to_string(), "green_light");
        assert_eq!(
            serde_json::to_string(&Light::ALL).unwrap(),
            r#"["red","green_light"]"#
        );
        assert_eq!(Light::from_name("red"), Some(Light::Red));
        assert_eq!(Light::from_name("Red"), None);
    }
}
