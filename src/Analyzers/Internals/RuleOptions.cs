using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencyAnalyzers.Internals;

/// <summary>
/// One rule option: the <c>.editorconfig</c> / <c>.globalconfig</c> key <c>CONCxxx.option_name</c>.
/// Declare each as a <c>static readonly</c> field next to the rule that reads it; the convention tests find
/// every such field and check that docs/configuration.md and the rule's page document it.
/// </summary>
internal readonly struct RuleOption
{
    // Both spellings of the key are made once: options are read in callbacks.
    private readonly string _lowerKey;

    public RuleOption(string ruleId, string name)
    {
        RuleId = ruleId;
        Name = name;
        Key = ruleId + "." + name;
        _lowerKey = Key.ToLowerInvariant();
    }

    public string RuleId { get; }

    public string Name { get; }

    public string Key { get; }

    public bool TryGetValue(AnalyzerOptions options, SyntaxTree tree, out string value)
    {
        // .editorconfig keys reach analyzers lowercased; other option providers may keep the spelling.
        var config = options.AnalyzerConfigOptionsProvider.GetOptions(tree);
        if (config.TryGetValue(_lowerKey, out var raw) || config.TryGetValue(Key, out raw))
        {
            value = raw.Trim();
            return true;
        }

        value = string.Empty;
        return false;
    }

    public bool GetBool(AnalyzerOptions options, SyntaxTree tree, bool defaultValue)
        => TryGetValue(options, tree, out var text) && bool.TryParse(text, out var value) ? value : defaultValue;

    public int GetInt(AnalyzerOptions options, SyntaxTree tree, int defaultValue)
        => TryGetValue(options, tree, out var text) &&
           int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : defaultValue;

    /// <summary>A list separated by commas, semicolons or spaces; empty when the key is absent.</summary>
    public ImmutableHashSet<string> GetList(AnalyzerOptions options, SyntaxTree tree)
    {
        if (!TryGetValue(options, tree, out var text) || text.Length == 0)
        {
            return ImmutableHashSet<string>.Empty;
        }

        var builder = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var part in text.Split(new[] { ',', ' ', ';' }, StringSplitOptions.RemoveEmptyEntries))
        {
            builder.Add(part.Trim());
        }

        return builder.ToImmutable();
    }
}

/// <summary>
/// A list option (<see cref="RuleOption.GetList"/>) read once per file and kept for the compilation, for rules that
/// need it in every callback.
/// </summary>
internal sealed class RuleOptionLists
{
    private readonly RuleOption _option;
    private readonly AnalyzerOptions _options;
    private readonly ConcurrentDictionary<SyntaxTree, ImmutableHashSet<string>> _byTree = new();

    public RuleOptionLists(RuleOption option, AnalyzerOptions options)
    {
        _option = option;
        _options = options;
    }

    public ImmutableHashSet<string> For(SyntaxTree tree)
        => _byTree.TryGetValue(tree, out var list) ? list : _byTree.GetOrAdd(tree, _option.GetList(_options, tree));
}
