//! One cell of a table as a serde deserializer, so that [`super::tables`] reads each row into
//! its record type and names the column of every failure.

/// One CSV cell as a serde deserializer: text that becomes whatever type the record asks for
/// (numbers are parsed, an empty cell is `None`). Going through serde's own map deserializer
/// lets `serde_path_to_error` name the column of any failure, including validation failures of
/// the domain types, which the `csv` crate's deserializer reports without a column.
pub(super) struct Cell<'a>(pub(super) &'a str);

type CellError = serde::de::value::Error;

impl<'a> Cell<'a> {
    fn parse<N: std::str::FromStr>(&self, what: &str) -> Result<N, CellError> {
        self.0
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("{:?} is not {what}", self.0)))
    }
}

impl<'de, 'a> serde::de::IntoDeserializer<'de, CellError> for Cell<'a> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

macro_rules! parse_as {
    ($($method:ident => $visit:ident as $ty:ty, $what:literal;)*) => {
        $(fn $method<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, CellError> {
            v.$visit(self.parse::<$ty>($what)?)
        })*
    };
}

impl<'de, 'a> serde::Deserializer<'de> for Cell<'a> {
    type Error = CellError;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, CellError> {
        v.visit_str(self.0)
    }
    fn deserialize_option<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, CellError> {
        if self.0.is_empty() {
            v.visit_none()
        } else {
            v.visit_some(self)
        }
    }
    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, CellError> {
        use serde::de::IntoDeserializer;
        v.visit_enum(self.0.into_deserializer())
    }
    parse_as! {
        deserialize_i64 => visit_i64 as i64, "a whole number";
        deserialize_i32 => visit_i32 as i32, "a whole number";
        deserialize_u64 => visit_u64 as u64, "a whole number";
        deserialize_u32 => visit_u32 as u32, "a whole number";
        deserialize_f64 => visit_f64 as f64, "a number";
        deserialize_f32 => visit_f32 as f32, "a number";
        deserialize_bool => visit_bool as bool, "true or false";
    }
    serde::forward_to_deserialize_any! {
        i8 i16 i128 u8 u16 u128 char str string bytes byte_buf unit unit_struct newtype_struct
        seq tuple tuple_struct map struct identifier ignored_any
    }
}
