package io.mqttgrid.access;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;

/**
 * A parsed client-group query (Event Grid's query language), evaluated against a client's identity
 * when its session starts.
 *
 * <p>Grammar (keywords {@code and}, {@code or}, {@code in}, {@code not} and the operand names
 * {@code authenticationName} and {@code attributes.} are case-insensitive; attribute keys are not):
 *
 * <pre>
 * query      := orExpr
 * orExpr     := andExpr ( OR andExpr )*
 * andExpr    := unary ( AND unary )*
 * unary      := [NOT] primary                 ; only when the caller enables the extension
 * primary    := '(' orExpr ')' | comparison | inExpr
 * comparison := operand cmpOp literal
 * cmpOp      := '=' | '!=' | '&lt;&gt;' | '&lt;' | '&gt;' | '&lt;=' | '&gt;='
 * inExpr     := operand IN '[' literal (',' literal)* ']'
 * operand    := 'authenticationName' | 'attributes.' KEY        ; KEY = [A-Za-z0-9_]+
 * literal    := STRING | INTEGER                                ; '…' or "…", no escapes; 64-bit signed
 * </pre>
 *
 * A string cannot contain its own quote character; use the other quote style for that.
 *
 * <p>Evaluation, where the spec leaves room for choice:
 *
 * <ul>
 *   <li>A comparison on a missing attribute is false, whatever the operator ({@code !=} too).
 *   <li>On an array attribute {@code =}, {@code IN} and the ordering operators are true when some
 *       element satisfies them; {@code !=} / {@code <>} are true when no element equals the
 *       literal.
 *   <li>Values compare only with literals of their own type: a string attribute never equals an
 *       integer literal, nor an integer attribute a string literal ({@code attributes.floor = '3'}
 *       is false for {@code floor: 3}). A boolean attribute equals the string literals {@code
 *       'true'} / {@code 'false'} (lower case, as JSON writes it), so {@code attributes.commander =
 *       "true"} selects clients whose attribute is the string "true" or the boolean true. Bare
 *       {@code true} is not a literal.
 *   <li>Ordering operators need an integer literal (a parse error otherwise) and are false unless
 *       the value is an integer.
 *   <li>String comparison is case-sensitive, except on {@code authenticationName}, which compares
 *       case-insensitively as authentication does; {@code authenticationName} only takes string
 *       literals.
 * </ul>
 *
 * Queries are bounded by {@link #MAX_LENGTH} characters and {@link #MAX_DEPTH} levels of nesting,
 * so neither parsing nor evaluation recursion depends on what a hostile caller sends.
 *
 * <p>Hand-written (a small recursive-descent parser): the spec's query language is its own, no
 * expression library parses it with these error positions and bounds. One file of about 550 lines
 * on purpose: the grammar and the evaluation rules above, the expression tree that evaluates them,
 * and the lexer and parser that build the tree. The tree's types stay private here, so that the
 * only way to a query is {@link #parse}, with its bounds checked; a separate parser file would have
 * to open them to the package. Each part reads alone (sections "evaluation" and "parsing").
 */
public final class ClientGroupQuery {

  /** Longest accepted query, in characters. */
  public static final int MAX_LENGTH = 4096;

  /** Deepest accepted nesting of parentheses and {@code not}. */
  public static final int MAX_DEPTH = 32;

  private final String source;
  private final Expression expression;

  private ClientGroupQuery(String source, Expression expression) {
    this.source = source;
    this.expression = expression;
  }

  /** Parses a query of the documented grammar ({@code not} refused). */
  public static ClientGroupQuery parse(String query) {
    return parse(query, false);
  }

  /**
   * Parses a query.
   *
   * @param allowNot whether the {@code not} extension is accepted
   * @throws QueryException naming the position and what was expected there
   */
  public static ClientGroupQuery parse(String query, boolean allowNot) {
    if (query == null) {
      throw new QueryException("query: missing", 1);
    }
    if (query.length() > MAX_LENGTH) {
      throw new QueryException("query: longer than " + MAX_LENGTH + " characters", MAX_LENGTH + 1);
    }
    Parser parser = new Parser(query, allowNot);
    Expression expression = parser.parseQuery();
    return new ClientGroupQuery(query, expression);
  }

  /** Whether the client belongs to the group this query defines. */
  public boolean matches(ClientIdentity identity) {
    return expression.test(identity);
  }

  public String source() {
    return source;
  }

  @Override
  public String toString() {
    return source;
  }

  // ---- evaluation ----

  private interface Expression {
    boolean test(ClientIdentity identity);
  }

  private record Or(List<Expression> terms) implements Expression {
    @Override
    public boolean test(ClientIdentity identity) {
      for (Expression term : terms) {
        if (term.test(identity)) {
          return true;
        }
      }
      return false;
    }
  }

  private record And(List<Expression> terms) implements Expression {
    @Override
    public boolean test(ClientIdentity identity) {
      for (Expression term : terms) {
        if (!term.test(identity)) {
          return false;
        }
      }
      return true;
    }
  }

  private record Not(Expression term) implements Expression {
    @Override
    public boolean test(ClientIdentity identity) {
      return !term.test(identity);
    }
  }

  /** {@code attributeKey} null means the authentication name. */
  private record Operand(String attributeKey) {
    Object value(ClientIdentity identity) {
      return attributeKey == null
          ? identity.authenticationName()
          : identity.attributes().get(attributeKey);
    }

    boolean isAuthenticationName() {
      return attributeKey == null;
    }
  }

  /** {@code <>} is another spelling of {@code !=}. */
  private enum Operator {
    EQ("="),
    NE("!="),
    LT("<"),
    GT(">"),
    LE("<="),
    GE(">=");

    final String text;

    Operator(String text) {
      this.text = text;
    }

    boolean ordering() {
      return this == LT || this == GT || this == LE || this == GE;
    }

    static Operator of(String text) {
      if (text.equals("<>")) {
        return NE;
      }
      for (Operator op : values()) {
        if (op.text.equals(text)) {
          return op;
        }
      }
      throw new IllegalStateException(text);
    }
  }

  private record Comparison(Operand operand, Operator operator, Object literal)
      implements Expression {
    @Override
    public boolean test(ClientIdentity identity) {
      Object value = operand.value(identity);
      if (value == null) {
        return false;
      }
      boolean fold = operand.isAuthenticationName();
      return switch (operator) {
        case EQ -> anyElement(value, e -> literalEquals(e, literal, fold));
        case NE -> !anyElement(value, e -> literalEquals(e, literal, fold));
        case LT ->
            anyElement(value, e -> isInteger(e) && ((Number) e).longValue() < (Long) literal);
        case GT ->
            anyElement(value, e -> isInteger(e) && ((Number) e).longValue() > (Long) literal);
        case LE ->
            anyElement(value, e -> isInteger(e) && ((Number) e).longValue() <= (Long) literal);
        case GE ->
            anyElement(value, e -> isInteger(e) && ((Number) e).longValue() >= (Long) literal);
      };
    }
  }

  private record In(Operand operand, List<Object> literals) implements Expression {
    @Override
    public boolean test(ClientIdentity identity) {
      Object value = operand.value(identity);
      if (value == null) {
        return false;
      }
      boolean fold = operand.isAuthenticationName();
      return anyElement(
          value,
          e -> {
            for (Object literal : literals) {
              if (literalEquals(e, literal, fold)) {
                return true;
              }
            }
            return false;
          });
    }
  }

  private static boolean anyElement(Object value, Predicate<Object> test) {
    if (value instanceof Collection<?> elements) {
      for (Object element : elements) {
        if (element != null && test.test(element)) {
          return true;
        }
      }
      return false;
    }
    return test.test(value);
  }

  /** {@code literal} is a String (already case-folded when {@code fold}) or a Long. */
  private static boolean literalEquals(Object value, Object literal, boolean fold) {
    if (literal instanceof String text) {
      if (value instanceof String s) {
        return fold ? NamespaceModel.foldCase(s).equals(text) : s.equals(text);
      }
      if (value instanceof Boolean b) {
        return b.toString().equals(text);
      }
      return false;
    }
    return isInteger(value) && ((Number) value).longValue() == (Long) literal;
  }

  private static boolean isInteger(Object value) {
    return value instanceof Long
        || value instanceof Integer
        || value instanceof Short
        || value instanceof Byte;
  }

  // ---- parsing ----

  private enum TokenType {
    LPAREN,
    RPAREN,
    LBRACKET,
    RBRACKET,
    COMMA,
    OPERATOR,
    STRING,
    INTEGER,
    WORD,
    END
  }

  /**
   * {@code start} is a 0-based index into the query; {@code value} the string or Long of a literal.
   */
  private record Token(TokenType type, String text, int start, Object value) {
    boolean isWord(String keyword) {
      return type == TokenType.WORD && text.equalsIgnoreCase(keyword);
    }
  }

  private static final class Parser {
    private static final String OPERAND = "authenticationName, attributes.<key>";
    private static final String ATTRIBUTES = "attributes.";

    private final String query;
    private final boolean allowNot;
    private int pos;
    private Token token;
    private int depth;

    Parser(String query, boolean allowNot) {
      this.query = query;
      this.allowNot = allowNot;
      this.token = next();
    }

    Expression parseQuery() {
      Expression expression = orExpression();
      if (token.type != TokenType.END) {
        throw expected("'and', 'or' or the end of the query");
      }
      return expression;
    }

    private Expression orExpression() {
      List<Expression> terms = new ArrayList<>();
      terms.add(andExpression());
      while (token.isWord("or")) {
        advance();
        terms.add(andExpression());
      }
      return terms.size() == 1 ? terms.get(0) : new Or(List.copyOf(terms));
    }

    private Expression andExpression() {
      List<Expression> terms = new ArrayList<>();
      terms.add(unary());
      while (token.isWord("and")) {
        advance();
        terms.add(unary());
      }
      return terms.size() == 1 ? terms.get(0) : new And(List.copyOf(terms));
    }

    private Expression unary() {
      if (token.isWord("not")) {
        if (!allowNot) {
          throw error("'not' is not supported (an extension that is not enabled)", token.start);
        }
        enter();
        advance();
        Expression term = unary();
        depth--;
        return new Not(term);
      }
      return primary();
    }

    private Expression primary() {
      if (token.type == TokenType.LPAREN) {
        enter();
        advance();
        Expression inner = orExpression();
        if (token.type != TokenType.RPAREN) {
          throw expected("'and', 'or' or ')'");
        }
        advance();
        depth--;
        return inner;
      }
      Operand operand = operand();
      if (token.isWord("in")) {
        advance();
        if (token.type != TokenType.LBRACKET) {
          throw expected("'[' after IN");
        }
        advance();
        List<Object> literals = new ArrayList<>();
        literals.add(literal(operand, Operator.EQ));
        while (token.type == TokenType.COMMA) {
          advance();
          literals.add(literal(operand, Operator.EQ));
        }
        if (token.type != TokenType.RBRACKET) {
          throw expected("',' or ']'");
        }
        advance();
        return new In(operand, List.copyOf(literals));
      }
      if (token.type != TokenType.OPERATOR) {
        throw expected("a comparison operator (=, !=, <>, <, >, <=, >=) or IN");
      }
      Operator operator = Operator.of(token.text);
      advance();
      return new Comparison(operand, operator, literal(operand, operator));
    }

    private Operand operand() {
      if (token.type == TokenType.WORD) {
        String word = token.text;
        if (word.equalsIgnoreCase("authenticationName")) {
          advance();
          return new Operand(null);
        }
        if (word.regionMatches(true, 0, ATTRIBUTES, 0, ATTRIBUTES.length())) {
          String key = word.substring(ATTRIBUTES.length());
          if (!isAttributeKey(key)) {
            throw fail(
                "expected an attribute key of letters, digits and '_' at position "
                    + (token.start + 1)
                    + ", found '"
                    + abbreviate(word)
                    + "'",
                token.start);
          }
          advance();
          return new Operand(key);
        }
      }
      throw expected(OPERAND + " or '('");
    }

    private Object literal(Operand operand, Operator operator) {
      Token literal = token;
      if (literal.type == TokenType.STRING) {
        if (operator.ordering()) {
          throw fail(
              "operator '"
                  + operator.text
                  + "' compares integers; expected an integer at position "
                  + (literal.start + 1)
                  + ", found "
                  + describe(literal),
              literal.start);
        }
        advance();
        String text = (String) literal.value;
        return operand.isAuthenticationName() ? NamespaceModel.foldCase(text) : text;
      }
      if (literal.type == TokenType.INTEGER) {
        if (operand.isAuthenticationName()) {
          throw fail(
              "authenticationName is compared with strings; expected a quoted string at position "
                  + (literal.start + 1)
                  + ", found "
                  + describe(literal),
              literal.start);
        }
        advance();
        return literal.value;
      }
      if (literal.type == TokenType.WORD && (literal.isWord("true") || literal.isWord("false"))) {
        throw fail(
            "expected a string or integer literal at position "
                + (literal.start + 1)
                + ", found "
                + describe(literal)
                + " (quote it: '"
                + literal.text
                + "')",
            literal.start);
      }
      throw expected(operator.ordering() ? "an integer" : "a string or integer literal");
    }

    private void enter() {
      if (++depth > MAX_DEPTH) {
        throw error("nested deeper than " + MAX_DEPTH + " levels", token.start);
      }
    }

    private void advance() {
      token = next();
    }

    /** A one-character token at {@code start}. */
    private Token single(TokenType type, int start) {
      pos = start + 1;
      return new Token(type, query.substring(start, start + 1), start, null);
    }

    private Token next() {
      int n = query.length();
      while (pos < n && Character.isWhitespace(query.charAt(pos))) {
        pos++;
      }
      if (pos >= n) {
        return new Token(TokenType.END, "", n, null);
      }
      int start = pos;
      char c = query.charAt(pos);
      switch (c) {
        case '(' -> {
          return single(TokenType.LPAREN, start);
        }
        case ')' -> {
          return single(TokenType.RPAREN, start);
        }
        case '[' -> {
          return single(TokenType.LBRACKET, start);
        }
        case ']' -> {
          return single(TokenType.RBRACKET, start);
        }
        case ',' -> {
          return single(TokenType.COMMA, start);
        }
        case '=' -> {
          return single(TokenType.OPERATOR, start);
        }
        case '!' -> {
          if (pos + 1 < n && query.charAt(pos + 1) == '=') {
            pos += 2;
            return new Token(TokenType.OPERATOR, "!=", start, null);
          }
          throw error("unexpected character '!' (did you mean '!='?)", start);
        }
        case '<' -> {
          if (pos + 1 < n && (query.charAt(pos + 1) == '=' || query.charAt(pos + 1) == '>')) {
            pos += 2;
            return new Token(TokenType.OPERATOR, query.substring(start, pos), start, null);
          }
          pos++;
          return new Token(TokenType.OPERATOR, "<", start, null);
        }
        case '>' -> {
          if (pos + 1 < n && query.charAt(pos + 1) == '=') {
            pos += 2;
            return new Token(TokenType.OPERATOR, ">=", start, null);
          }
          pos++;
          return new Token(TokenType.OPERATOR, ">", start, null);
        }
        case '\'', '"' -> {
          int close = query.indexOf(c, start + 1);
          if (close < 0) {
            throw error("unterminated string starting", start);
          }
          pos = close + 1;
          return new Token(
              TokenType.STRING,
              query.substring(start, pos),
              start,
              query.substring(start + 1, close));
        }
        default -> {
          if (isDigit(c) || (c == '-' && pos + 1 < n && isDigit(query.charAt(pos + 1)))) {
            pos++;
            while (pos < n && isDigit(query.charAt(pos))) {
              pos++;
            }
            String text = query.substring(start, pos);
            try {
              return new Token(TokenType.INTEGER, text, start, Long.parseLong(text));
            } catch (NumberFormatException e) {
              throw error("integer " + abbreviate(text) + " is outside the 64-bit range", start);
            }
          }
          if (isWordStart(c)) {
            while (pos < n && isWordPart(query.charAt(pos))) {
              pos++;
            }
            return new Token(TokenType.WORD, query.substring(start, pos), start, null);
          }
          throw error("unexpected character '" + c + "'", start);
        }
      }
    }

    private QueryException expected(String what) {
      return fail(
          "expected " + what + " at position " + (token.start + 1) + ", found " + describe(token),
          token.start);
    }

    /** {@code message} already names the position. */
    private static QueryException fail(String message, int start) {
      return new QueryException("query: " + message, start + 1);
    }

    private static QueryException error(String problem, int start) {
      return fail(problem + " at position " + (start + 1), start);
    }

    private static String describe(Token token) {
      return switch (token.type) {
        case END -> "the end of the query";
        case STRING -> abbreviate(token.text);
        default -> "'" + abbreviate(token.text) + "'";
      };
    }

    private static String abbreviate(String text) {
      return text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }

    private static boolean isDigit(char c) {
      return c >= '0' && c <= '9';
    }

    private static boolean isWordStart(char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }

    private static boolean isWordPart(char c) {
      return isWordStart(c) || isDigit(c) || c == '.';
    }
  }

  static boolean isAttributeKey(String key) {
    if (key.isEmpty()) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (!((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '_')) {
        return false;
      }
    }
    return true;
  }
}
