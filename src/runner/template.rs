//! Contract stub (replaced by the evaluation work): template rendering.

use crate::runner::error::{EvalError, EvalErrorKind};
use crate::runner::value::Value;
use crate::runner::variables::Variables;
use crate::scenario::ast::{Expr, ExprKind, JsonValue, Template, TemplateElement};

/// Renders a template to text.
pub fn render(template: &Template, variables: &Variables) -> Result<String, EvalError> {
    let mut out = String::new();
    for element in &template.elements {
        match element {
            TemplateElement::Literal(text) => out.push_str(text),
            TemplateElement::Placeholder(p) => {
                let value = eval_expr(&p.expr, variables)?;
                out.push_str(&value.render().unwrap_or_default());
            }
        }
    }
    Ok(out)
}

/// Evaluates a placeholder expression.
pub fn eval_expr(expr: &Expr, variables: &Variables) -> Result<Value, EvalError> {
    match &expr.kind {
        ExprKind::Variable(name) => variables.get(name).cloned().ok_or_else(|| EvalError {
            kind: EvalErrorKind::UndefinedVariable(name.clone()),
            span: expr.span,
        }),
        ExprKind::Function(_) => Ok(Value::String(String::new())),
    }
}

/// Renders a JSON body.
pub fn render_json(_json: &JsonValue, _variables: &Variables) -> Result<String, EvalError> {
    Ok(String::new())
}
